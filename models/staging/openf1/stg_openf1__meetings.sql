{%- set raw_columns = {
    'meeting_key': 'int',
    'meeting_name': 'text',
    'meeting_official_name': 'text',
    'circuit_key': 'int',
    'circuit_short_name': 'text',
    'country_code': 'text',
    'country_name': 'text',
    'location': 'text',
    'gmt_offset': 'text',
    'date_start': 'ts',
    'year': 'int',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'meetings', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['meeting_key'], raw_columns) }}

),

renamed as (

    select
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(year as {{ dbt.type_int() }}) as season,
        meeting_name,
        meeting_official_name,
        cast(circuit_key as {{ dbt.type_int() }}) as circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location as location_name,
        gmt_offset as utc_offset,
        {{ utc_timestamp('date_start') }} as started_at
    from latest

)

select * from renamed
