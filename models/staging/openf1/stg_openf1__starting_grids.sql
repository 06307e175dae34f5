{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'driver_number': 'int',
    'position': 'int',
    'lap_duration': 'float',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'starting_grid', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'driver_number'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(position as {{ dbt.type_int() }}) as grid_position,
        cast(lap_duration as {{ type_double() }}) as qualifying_lap_duration_s
    from latest

)

select * from renamed
