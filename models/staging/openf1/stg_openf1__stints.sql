{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'driver_number': 'int',
    'stint_number': 'int',
    'lap_start': 'int',
    'lap_end': 'int',
    'compound': 'text',
    'tyre_age_at_start': 'int',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'stints', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'driver_number', 'stint_number'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(stint_number as {{ dbt.type_int() }}) as stint_number,
        cast(lap_start as {{ dbt.type_int() }}) as first_lap_number,
        cast(lap_end as {{ dbt.type_int() }}) as last_lap_number,
        upper(compound) as compound,
        cast(tyre_age_at_start as {{ dbt.type_int() }}) as tyre_age_at_start_laps
    from latest

)

select * from renamed
