{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'driver_number': 'int',
    'lap_number': 'int',
    'date_start': 'ts',
    'lap_duration': 'float',
    'duration_sector_1': 'float',
    'duration_sector_2': 'float',
    'duration_sector_3': 'float',
    'i1_speed': 'int',
    'i2_speed': 'int',
    'st_speed': 'int',
    'is_pit_out_lap': 'bool',
    'segments_sector_1': 'json',
    'segments_sector_2': 'json',
    'segments_sector_3': 'json',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'laps', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'driver_number', 'lap_number'], raw_columns) }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(lap_number as {{ dbt.type_int() }}) as lap_number,
        {{ utc_timestamp('date_start') }} as started_at,
        cast(lap_duration as {{ type_double() }}) as lap_duration_s,
        cast(duration_sector_1 as {{ type_double() }}) as sector_1_duration_s,
        cast(duration_sector_2 as {{ type_double() }}) as sector_2_duration_s,
        cast(duration_sector_3 as {{ type_double() }}) as sector_3_duration_s,
        cast(i1_speed as {{ dbt.type_int() }}) as intermediate_1_speed_kph,
        cast(i2_speed as {{ dbt.type_int() }}) as intermediate_2_speed_kph,
        cast(st_speed as {{ dbt.type_int() }}) as speed_trap_speed_kph,
        coalesce(is_pit_out_lap, false) as is_pit_out_lap,
        segments_sector_1 as sector_1_segments,
        segments_sector_2 as sector_2_segments,
        segments_sector_3 as sector_3_segments
    from latest

)

select * from renamed
