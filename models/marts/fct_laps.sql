with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        intermediate_1_speed_kph,
        intermediate_2_speed_kph,
        speed_trap_speed_kph,
        is_pit_out_lap
    from {{ ref('stg_openf1__laps') }}

),

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type
    from {{ ref('stg_openf1__sessions') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_code,
        full_name,
        team_name
    from {{ ref('stg_openf1__drivers') }}

),

laps_with_context as (

    select
        laps.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.session_name,
        sessions.session_type,
        laps.driver_number,
        drivers.driver_code,
        drivers.full_name,
        drivers.team_name,
        laps.lap_number,
        laps.started_at,
        laps.lap_duration_s,
        laps.sector_1_duration_s,
        laps.sector_2_duration_s,
        laps.sector_3_duration_s,
        laps.intermediate_1_speed_kph,
        laps.intermediate_2_speed_kph,
        laps.speed_trap_speed_kph,
        laps.is_pit_out_lap
    from laps
    inner join sessions
        on laps.session_key = sessions.session_key
    left join drivers
        on
            laps.session_key = drivers.session_key
            and laps.driver_number = drivers.driver_number

),

ranked as (

    select
        *,
        case
            when lap_duration_s is null then null
            else rank() over (partition by session_key order by lap_duration_s asc nulls last)
        end as session_lap_time_rank,
        case
            when lap_duration_s is null then null
            else rank() over (partition by session_key, driver_number order by lap_duration_s asc nulls last)
        end as driver_lap_time_rank
    from laps_with_context

),

final as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        driver_number,
        driver_code,
        full_name,
        team_name,
        lap_number,
        started_at,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        intermediate_1_speed_kph,
        intermediate_2_speed_kph,
        speed_trap_speed_kph,
        is_pit_out_lap,
        coalesce(session_lap_time_rank = 1, false) as is_session_fastest_lap,
        coalesce(driver_lap_time_rank = 1, false) as is_personal_best_lap
    from ranked

)

select * from final
