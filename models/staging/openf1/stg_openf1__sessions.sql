{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'session_name': 'text',
    'session_type': 'text',
    'date_start': 'ts',
    'date_end': 'ts',
    'gmt_offset': 'text',
    'is_cancelled': 'bool',
    'year': 'int',
    'circuit_key': 'int',
    'circuit_short_name': 'text',
    'country_code': 'text',
    'country_name': 'text',
    'location': 'text',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'sessions', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(year as {{ dbt.type_int() }}) as season,
        session_name,
        session_type,
        {{ session_kind('session_type', 'session_name') }} as session_kind,
        {{ utc_timestamp('date_start') }} as started_at,
        {{ utc_timestamp('date_end') }} as ended_at,
        gmt_offset as utc_offset,
        {{ local_date(utc_timestamp('date_start'), 'gmt_offset') }} as session_date,
        coalesce(is_cancelled, false) as is_cancelled,
        cast(circuit_key as {{ dbt.type_int() }}) as circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location as location_name
    from latest

)

select * from renamed
