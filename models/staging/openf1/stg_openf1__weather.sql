{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'date': 'ts',
    'air_temperature': 'float',
    'track_temperature': 'float',
    'humidity': 'float',
    'pressure': 'float',
    'rainfall': 'int',
    'wind_direction': 'int',
    'wind_speed': 'float',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'weather', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'date'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        {{ utc_timestamp('date') }} as recorded_at,
        cast(air_temperature as {{ type_double() }}) as air_temperature_c,
        cast(track_temperature as {{ type_double() }}) as track_temperature_c,
        cast(humidity as {{ type_double() }}) as humidity_pct,
        cast(pressure as {{ type_double() }}) as air_pressure_mbar,
        cast(rainfall as {{ dbt.type_int() }}) as rainfall,
        cast(wind_direction as {{ dbt.type_int() }}) as wind_direction_deg,
        cast(wind_speed as {{ type_double() }}) as wind_speed_mps
    from latest

)

select * from renamed
