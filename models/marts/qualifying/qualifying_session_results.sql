{#-
    One row per (qualifying or sprint-qualifying session, driver): his Q1/Q2/Q3 times and the phase he reached
    (fct_qualifying), his gap to pole, his best sectors, ideal lap and what he left on the table, his top speeds
    (fct_laps: null when OpenF1 has no laps for the session, as in real 2024 qualifying), his gap to his
    teammate and his place on the grid after penalties (starting_grid, via fct_qualifying.grid_position).
    Pole time = the session's fastest time in any phase (FastF1's "pole lap"; driver_race_features'
    qualifying_gap_to_pole_s), so no gap is negative.
-#}
with

qualifying as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_name,
        session_kind,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        qualifying_position,
        q1_duration_s,
        q2_duration_s,
        q3_duration_s,
        best_duration_s,
        eliminated_in,
        grid_position
    from {{ ref('fct_qualifying') }}

),

laps as (

    select
        session_key,
        driver_number,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        intermediate_1_speed_kph,
        intermediate_2_speed_kph,
        speed_trap_speed_kph
    from {{ ref('fct_laps') }}
    where session_key in (select qualifying.session_key from qualifying)

),

driver_laps as (

    -- every lap in the feed counts: OpenF1 does not say which lap times were deleted
    select
        session_key,
        driver_number,
        count(*) as lap_count,
        min(lap_duration_s) as best_lap_duration_s,
        min(sector_1_duration_s) as best_sector_1_duration_s,
        min(sector_2_duration_s) as best_sector_2_duration_s,
        min(sector_3_duration_s) as best_sector_3_duration_s,
        max(intermediate_1_speed_kph) as best_intermediate_1_speed_kph,
        max(intermediate_2_speed_kph) as best_intermediate_2_speed_kph,
        max(speed_trap_speed_kph) as best_speed_trap_speed_kph
    from laps
    group by session_key, driver_number

),

session_poles as (

    select
        session_key,
        min(best_duration_s) as pole_duration_s
    from qualifying
    group by session_key

),

session_lap_bests as (

    select
        session_key,
        min(best_sector_1_duration_s) as session_best_sector_1_duration_s,
        min(best_sector_2_duration_s) as session_best_sector_2_duration_s,
        min(best_sector_3_duration_s) as session_best_sector_3_duration_s,
        max(best_intermediate_1_speed_kph) as session_best_intermediate_1_speed_kph,
        max(best_intermediate_2_speed_kph) as session_best_intermediate_2_speed_kph,
        max(best_speed_trap_speed_kph) as session_best_speed_trap_speed_kph
    from driver_laps
    group by session_key

),

teammate_comparisons as (

    -- the deepest phase both set a time in; a team with three cars in one session: its lowest other number
    select
        qualifying.session_key,
        qualifying.driver_number,
        teammates.driver_number as teammate_driver_number,
        teammates.driver_id as teammate_driver_id,
        teammates.driver_code as teammate_driver_code,
        case
            when qualifying.q3_duration_s is not null and teammates.q3_duration_s is not null then 'Q3'
            when qualifying.q2_duration_s is not null and teammates.q2_duration_s is not null then 'Q2'
            when qualifying.q1_duration_s is not null and teammates.q1_duration_s is not null then 'Q1'
        end as teammate_compared_phase,
        case
            when qualifying.q3_duration_s is not null and teammates.q3_duration_s is not null
                then qualifying.q3_duration_s - teammates.q3_duration_s
            when qualifying.q2_duration_s is not null and teammates.q2_duration_s is not null
                then qualifying.q2_duration_s - teammates.q2_duration_s
            when qualifying.q1_duration_s is not null and teammates.q1_duration_s is not null
                then qualifying.q1_duration_s - teammates.q1_duration_s
        end as teammate_gap_s,
        case
            when qualifying.q3_duration_s is not null and teammates.q3_duration_s is not null
                then teammates.q3_duration_s
            when qualifying.q2_duration_s is not null and teammates.q2_duration_s is not null
                then teammates.q2_duration_s
            when qualifying.q1_duration_s is not null and teammates.q1_duration_s is not null
                then teammates.q1_duration_s
        end as teammate_duration_s,
        row_number() over (
            partition by qualifying.session_key, qualifying.driver_number
            order by teammates.driver_number
        ) as teammate_rank
    from qualifying
    inner join qualifying as teammates
        on
            qualifying.session_key = teammates.session_key
            and qualifying.team_name = teammates.team_name
            and qualifying.driver_number != teammates.driver_number

),

teammates as (

    select
        session_key,
        driver_number,
        teammate_driver_number,
        teammate_driver_id,
        teammate_driver_code,
        teammate_compared_phase,
        teammate_gap_s,
        teammate_duration_s
    from teammate_comparisons
    where teammate_rank = 1

),

final as (

    select
        qualifying.session_key,
        qualifying.meeting_key,
        qualifying.season,
        qualifying.round_number,
        qualifying.session_name,
        qualifying.session_kind,
        qualifying.driver_number,
        qualifying.driver_id,
        qualifying.driver_code,
        qualifying.team_name,
        qualifying.qualifying_position,
        qualifying.q1_duration_s,
        qualifying.q2_duration_s,
        qualifying.q3_duration_s,
        qualifying.best_duration_s,
        qualifying.eliminated_in,
        session_poles.pole_duration_s,
        driver_laps.best_lap_duration_s,
        driver_laps.best_sector_1_duration_s,
        driver_laps.best_sector_2_duration_s,
        driver_laps.best_sector_3_duration_s,
        driver_laps.best_intermediate_1_speed_kph,
        driver_laps.best_intermediate_2_speed_kph,
        driver_laps.best_speed_trap_speed_kph,
        teammates.teammate_driver_number,
        teammates.teammate_driver_id,
        teammates.teammate_driver_code,
        teammates.teammate_compared_phase,
        qualifying.grid_position,
        coalesce(qualifying.eliminated_in, 'Q3') as phase_reached,
        round(qualifying.best_duration_s - session_poles.pole_duration_s, 3) as gap_to_pole_s,
        round(
            100.0 * (qualifying.best_duration_s - session_poles.pole_duration_s) / session_poles.pole_duration_s, 3
        ) as gap_to_pole_pct,
        coalesce(driver_laps.lap_count, 0) as lap_count,
        coalesce(
            driver_laps.best_sector_1_duration_s = session_lap_bests.session_best_sector_1_duration_s, false
        ) as is_session_best_sector_1,
        coalesce(
            driver_laps.best_sector_2_duration_s = session_lap_bests.session_best_sector_2_duration_s, false
        ) as is_session_best_sector_2,
        coalesce(
            driver_laps.best_sector_3_duration_s = session_lap_bests.session_best_sector_3_duration_s, false
        ) as is_session_best_sector_3,
        round(
            driver_laps.best_sector_1_duration_s
            + driver_laps.best_sector_2_duration_s
            + driver_laps.best_sector_3_duration_s,
            3
        ) as ideal_lap_duration_s,
        round(
            driver_laps.best_lap_duration_s
            - (
                driver_laps.best_sector_1_duration_s
                + driver_laps.best_sector_2_duration_s
                + driver_laps.best_sector_3_duration_s
            ),
            3
        ) as time_left_on_table_s,
        coalesce(
            driver_laps.best_intermediate_1_speed_kph = session_lap_bests.session_best_intermediate_1_speed_kph,
            false
        ) as is_session_best_intermediate_1,
        coalesce(
            driver_laps.best_intermediate_2_speed_kph = session_lap_bests.session_best_intermediate_2_speed_kph,
            false
        ) as is_session_best_intermediate_2,
        coalesce(
            driver_laps.best_speed_trap_speed_kph = session_lap_bests.session_best_speed_trap_speed_kph, false
        ) as is_session_best_speed_trap,
        round(teammates.teammate_gap_s, 3) as teammate_gap_s,
        round(100.0 * teammates.teammate_gap_s / teammates.teammate_duration_s, 3) as teammate_gap_pct,
        qualifying.grid_position = 1 as starts_from_pole,
        qualifying.grid_position - qualifying.qualifying_position as grid_change
    from qualifying
    inner join session_poles
        on qualifying.session_key = session_poles.session_key
    left outer join driver_laps
        on
            qualifying.session_key = driver_laps.session_key
            and qualifying.driver_number = driver_laps.driver_number
    left outer join session_lap_bests
        on qualifying.session_key = session_lap_bests.session_key
    left outer join teammates
        on
            qualifying.session_key = teammates.session_key
            and qualifying.driver_number = teammates.driver_number

)

select * from final
