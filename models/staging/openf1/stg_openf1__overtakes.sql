{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'date': 'ts',
    'overtaking_driver_number': 'int',
    'overtaken_driver_number': 'int',
    'position': 'int',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'overtakes', raw_columns) }}

),

latest as (

    {{ latest_load_rows(
        'source',
        ['session_key', 'date', 'overtaking_driver_number', 'overtaken_driver_number'],
        raw_columns,
    ) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        {{ utc_timestamp('date') }} as overtaken_at,
        cast(overtaking_driver_number as {{ dbt.type_int() }}) as overtaking_driver_number,
        cast(overtaken_driver_number as {{ dbt.type_int() }}) as overtaken_driver_number,
        cast(position as {{ dbt.type_int() }}) as position_gained
    from latest

)

select * from renamed
