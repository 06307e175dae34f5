{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'date': 'ts',
    'driver_number': 'int',
    'gap_to_leader': 'text',
    'interval': 'text',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'intervals', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'date', 'driver_number'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        {{ utc_timestamp('date') }} as recorded_at,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        gap_to_leader as gap_to_leader_raw,
        {{ adapter.quote('interval') }} as interval_raw,
        {{ gap_seconds('gap_to_leader') }} as gap_to_leader_s,
        {{ gap_laps('gap_to_leader') }} as gap_to_leader_laps,
        {{ gap_seconds(adapter.quote('interval')) }} as interval_s,
        {{ gap_laps(adapter.quote('interval')) }} as interval_laps
    from latest

)

select * from renamed
