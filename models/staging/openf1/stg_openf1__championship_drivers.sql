{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'driver_number': 'int',
    'position_start': 'int',
    'position_current': 'int',
    'points_start': 'float',
    'points_current': 'float',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'championship_drivers', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'driver_number'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(position_start as {{ dbt.type_int() }}) as position_before,
        cast(position_current as {{ dbt.type_int() }}) as position_after,
        cast(points_start as {{ type_double() }}) as points_before,
        cast(points_current as {{ type_double() }}) as points_after
    from latest

)

select * from renamed
