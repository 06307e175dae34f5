{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'record_hash': 'text',
    'team_name': 'text',
    'position_start': 'int',
    'position_current': 'int',
    'points_start': 'float',
    'points_current': 'float',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'championship_teams', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['record_hash'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        record_hash as championship_team_row_id,
        team_name,
        cast(position_start as {{ dbt.type_int() }}) as position_before,
        cast(position_current as {{ dbt.type_int() }}) as position_after,
        cast(points_start as {{ type_double() }}) as points_before,
        cast(points_current as {{ type_double() }}) as points_after
    from latest

)

select * from renamed
