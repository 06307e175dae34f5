with

source as (

    select
        session_key,
        meeting_key,
        driver_number,
        lap_number,
        date_start,
        lap_duration,
        duration_sector_1,
        duration_sector_2,
        duration_sector_3,
        i1_speed,
        i2_speed,
        st_speed,
        is_pit_out_lap,
        segments_sector_1,
        segments_sector_2,
        segments_sector_3,
        _dlt_load_id
    from {{ source('openf1', 'laps') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by session_key, driver_number, lap_number
            order by _dlt_load_id desc
        ) as load_rank
    from source

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
    from ranked
    where load_rank = 1

)

select * from renamed
