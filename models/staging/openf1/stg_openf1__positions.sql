{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'date': 'ts',
    'driver_number': 'int',
    'position': 'int',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'position', raw_columns) }}

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
        cast(position as {{ dbt.type_int() }}) as position  -- noqa: RF04
    from latest

)

select * from renamed
