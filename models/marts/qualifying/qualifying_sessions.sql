{#-
    One row per qualifying or sprint-qualifying session (dim_sessions), with or without results: the knock-out
    lines (how many cars went through to Q2 and Q3, how many dropped out in Q1 and Q2, the slowest time that
    went through and the fastest that did not), pole (the fastest qualifier and the pole time, the car on the
    first grid slot after penalties), the session's best sectors, its ideal lap and top speeds, and what OpenF1
    holds for it (results, laps, sector times, speed traps, a starting grid), so a page can say why a column
    is empty.
-#}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_name,
        session_kind,
        started_at,
        is_cancelled
    from {{ ref('dim_sessions') }}
    where session_kind in ('qualifying', 'sprint_qualifying')

),

results as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code,
        qualifying_position,
        q1_duration_s,
        q2_duration_s,
        eliminated_in,
        phase_reached,
        pole_duration_s,
        lap_count,
        best_sector_1_duration_s,
        best_sector_2_duration_s,
        best_sector_3_duration_s,
        best_intermediate_1_speed_kph,
        best_intermediate_2_speed_kph,
        best_speed_trap_speed_kph,
        grid_position
    from {{ ref('qualifying_session_results') }}

),

session_totals as (

    select
        session_key,
        count(*) as entrant_count,
        count(qualifying_position) as classified_count,
        count(case when eliminated_in = 'Q1' then 1 end) as eliminated_in_q1_count,
        count(case when eliminated_in = 'Q2' then 1 end) as eliminated_in_q2_count,
        max(case when phase_reached in ('Q2', 'Q3') then q1_duration_s end) as q1_slowest_through_duration_s,
        min(case when eliminated_in = 'Q1' then q1_duration_s end) as q1_fastest_eliminated_duration_s,
        max(case when phase_reached = 'Q3' then q2_duration_s end) as q2_slowest_through_duration_s,
        min(case when eliminated_in = 'Q2' then q2_duration_s end) as q2_fastest_eliminated_duration_s,
        min(pole_duration_s) as pole_duration_s,
        count(grid_position) as grid_slot_count,
        cast(sum(lap_count) as {{ dbt.type_bigint() }}) as lap_count,
        count(best_sector_1_duration_s) as drivers_with_sector_times_count,
        count(best_speed_trap_speed_kph) as drivers_with_speed_trap_count,
        min(best_sector_1_duration_s) as best_sector_1_duration_s,
        min(best_sector_2_duration_s) as best_sector_2_duration_s,
        min(best_sector_3_duration_s) as best_sector_3_duration_s,
        max(best_intermediate_1_speed_kph) as best_intermediate_1_speed_kph,
        max(best_intermediate_2_speed_kph) as best_intermediate_2_speed_kph,
        max(best_speed_trap_speed_kph) as best_speed_trap_speed_kph
    from results
    group by session_key

),

fastest_qualifiers as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code
    from results
    where qualifying_position = 1

),

grid_poles as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code
    from results
    where grid_position = 1

),

final as (

    select
        sessions.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.round_number,
        sessions.session_name,
        sessions.session_kind,
        sessions.started_at,
        coalesce(sessions.is_cancelled, false) as is_cancelled,
        coalesce(session_totals.entrant_count, 0) as entrant_count,
        coalesce(session_totals.classified_count, 0) as classified_count,
        {{ qualifying_cars_through(2, 'sessions.season') }} as q2_car_count,
        {{ qualifying_cars_through(3, 'sessions.season') }} as q3_car_count,
        coalesce(session_totals.eliminated_in_q1_count, 0) as eliminated_in_q1_count,
        coalesce(session_totals.eliminated_in_q2_count, 0) as eliminated_in_q2_count,
        session_totals.q1_slowest_through_duration_s,
        session_totals.q1_fastest_eliminated_duration_s,
        session_totals.q2_slowest_through_duration_s,
        session_totals.q2_fastest_eliminated_duration_s,
        session_totals.pole_duration_s,
        fastest_qualifiers.driver_number as fastest_qualifier_driver_number,
        fastest_qualifiers.driver_id as fastest_qualifier_driver_id,
        fastest_qualifiers.driver_code as fastest_qualifier_driver_code,
        grid_poles.driver_number as pole_sitter_driver_number,
        grid_poles.driver_id as pole_sitter_driver_id,
        grid_poles.driver_code as pole_sitter_driver_code,
        session_totals.best_sector_1_duration_s,
        session_totals.best_sector_2_duration_s,
        session_totals.best_sector_3_duration_s,
        round(
            session_totals.best_sector_1_duration_s
            + session_totals.best_sector_2_duration_s
            + session_totals.best_sector_3_duration_s,
            3
        ) as ideal_lap_duration_s,
        session_totals.best_intermediate_1_speed_kph,
        session_totals.best_intermediate_2_speed_kph,
        session_totals.best_speed_trap_speed_kph,
        coalesce(session_totals.lap_count, 0) as lap_count,
        coalesce(session_totals.entrant_count, 0) > 0 as has_results,
        coalesce(session_totals.lap_count, 0) > 0 as has_laps,
        coalesce(session_totals.drivers_with_sector_times_count, 0) > 0 as has_sector_times,
        coalesce(session_totals.drivers_with_speed_trap_count, 0) > 0 as has_speed_traps,
        coalesce(session_totals.grid_slot_count, 0) > 0 as has_starting_grid
    from sessions
    left outer join session_totals
        on sessions.session_key = session_totals.session_key
    left outer join fastest_qualifiers
        on sessions.session_key = fastest_qualifiers.session_key
    left outer join grid_poles
        on sessions.session_key = grid_poles.session_key

)

select * from final
