{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'driver_number': 'int',
    'lap_number': 'int',
    'date': 'ts',
    'lane_duration': 'float',
    'pit_duration': 'float',
    'stop_duration': 'float',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'pit', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'driver_number', 'date'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(lap_number as {{ dbt.type_int() }}) as lap_number,
        {{ utc_timestamp('date') }} as pitted_at,
        cast(coalesce(lane_duration, pit_duration) as {{ type_double() }}) as lane_duration_s,
        cast(pit_duration as {{ type_double() }}) as pit_duration_s,
        cast(stop_duration as {{ type_double() }}) as stop_duration_s
    from latest

)

select * from renamed
