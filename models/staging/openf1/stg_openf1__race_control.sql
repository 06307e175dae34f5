{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'record_hash': 'text',
    'date': 'ts',
    'driver_number': 'int',
    'lap_number': 'int',
    'sector': 'int',
    'category': 'text',
    'flag': 'text',
    'scope': 'text',
    'message': 'text',
    'qualifying_phase': 'int',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'race_control', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['record_hash'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        record_hash as race_control_message_id,
        {{ utc_timestamp('date') }} as recorded_at,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(lap_number as {{ dbt.type_int() }}) as lap_number,
        cast(sector as {{ dbt.type_int() }}) as sector_number,
        category,
        flag,
        scope,
        message,
        cast(qualifying_phase as {{ dbt.type_int() }}) as qualifying_phase
    from latest

)

select * from renamed
