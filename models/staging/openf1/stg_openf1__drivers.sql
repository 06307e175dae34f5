{#- name_acronym and team_name first: between duplicates with as many values, the one carrying them wins. -#}
{%- set raw_columns = {
    'session_key': 'int',
    'driver_number': 'int',
    'name_acronym': 'text',
    'team_name': 'text',
    'meeting_key': 'int',
    'broadcast_name': 'text',
    'full_name': 'text',
    'first_name': 'text',
    'last_name': 'text',
    'team_colour': 'text',
    'headshot_url': 'text',
    'country_code': 'text',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'drivers', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'driver_number'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        broadcast_name,
        full_name,
        first_name,
        last_name,
        team_name,
        headshot_url,
        country_code,
        upper(name_acronym) as driver_code,
        lower(team_colour) as team_colour_hex
    from latest

)

select * from renamed
