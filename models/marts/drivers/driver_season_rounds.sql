{#-
    A driver's season round by round: one row per (season, round_number, session_kind, driver_id) for every
    driver classified in a Grand Prix ('race') or a sprint ('sprint'). The grid is the slot he started from
    (fct_session_results.grid_position: starting_grid, after penalties); the qualifying position is that of the
    session that set the grid (Grand Prix qualifying for the race, sprint qualifying for the sprint). The
    championship after the round is driver_standings' (the whole round: the same on the sprint and race rows).
    His teammate is the other driver of the same team in the same session; ahead = classified (or qualified)
    higher, or classified while the teammate was not, as in teammate_head_to_heads.
-#}
with

session_results as (

    select
        season,
        round_number,
        meeting_key,
        session_key,
        session_name,
        session_kind,
        driver_id,
        driver_code,
        full_name,
        team_name,
        grid_position,
        classified_position,
        result_class,
        status,
        laps_completed,
        points,
        positions_gained
    from {{ ref('fct_session_results') }}
    where
        session_kind in ('race', 'sprint')
        and round_number is not null
        and driver_id is not null

),

meetings as (

    select
        meeting_key,
        meeting_name,
        qualifying_session_key,
        sprint_qualifying_session_key
    from {{ ref('dim_meetings') }}

),

qualifying as (

    select
        session_key,
        driver_id,
        qualifying_position
    from {{ ref('fct_qualifying') }}
    where driver_id is not null

),

pit_stops as (

    select
        session_key,
        driver_id
    from {{ ref('fct_pit_stops') }}

),

standings as (

    select
        season,
        round,
        driver_id,
        points,
        position
    from {{ ref('driver_standings') }}

),

stops_per_driver as (

    select
        session_key,
        driver_id,
        count(*) as pit_stops
    from pit_stops
    where driver_id is not null
    group by session_key, driver_id

),

sessions_with_stops as (

    -- a session OpenF1 has pit data for: a driver without a row there made no stop
    select distinct session_key
    from pit_stops

),

with_qualifying as (

    select
        session_results.*,
        meetings.meeting_name,
        case
            when session_results.session_kind = 'race' then meetings.qualifying_session_key
            else meetings.sprint_qualifying_session_key
        end as qualifying_session_key
    from session_results
    left outer join meetings
        on session_results.meeting_key = meetings.meeting_key

),

driver_sessions as (

    select
        with_qualifying.*,
        qualifying.qualifying_position,
        case
            when sessions_with_stops.session_key is not null then coalesce(stops_per_driver.pit_stops, 0)
        end as pit_stops
    from with_qualifying
    left outer join qualifying
        on
            with_qualifying.qualifying_session_key = qualifying.session_key
            and with_qualifying.driver_id = qualifying.driver_id
    left outer join stops_per_driver
        on
            with_qualifying.session_key = stops_per_driver.session_key
            and with_qualifying.driver_id = stops_per_driver.driver_id
    left outer join sessions_with_stops
        on with_qualifying.session_key = sessions_with_stops.session_key

),

teammates as (

    -- a team runs two cars: the other one of the same session (the first by driver_id should there be more)
    select
        driver_sessions.session_key,
        driver_sessions.driver_id,
        teammate_sessions.driver_id as teammate_driver_id,
        teammate_sessions.driver_code as teammate_driver_code,
        teammate_sessions.qualifying_position as teammate_qualifying_position,
        teammate_sessions.classified_position as teammate_classified_position,
        row_number() over (
            partition by driver_sessions.session_key, driver_sessions.driver_id
            order by teammate_sessions.driver_id
        ) as teammate_rank
    from driver_sessions
    inner join driver_sessions as teammate_sessions
        on
            driver_sessions.session_key = teammate_sessions.session_key
            and driver_sessions.team_name = teammate_sessions.team_name
            and driver_sessions.driver_id != teammate_sessions.driver_id

),

final as (

    select
        driver_sessions.season,
        driver_sessions.round_number,
        driver_sessions.meeting_key,
        driver_sessions.meeting_name,
        driver_sessions.session_key,
        driver_sessions.session_name,
        driver_sessions.session_kind,
        driver_sessions.driver_id,
        driver_sessions.driver_code,
        driver_sessions.full_name,
        driver_sessions.team_name,
        driver_sessions.qualifying_session_key,
        driver_sessions.qualifying_position,
        driver_sessions.grid_position,
        driver_sessions.classified_position,
        driver_sessions.result_class,
        driver_sessions.status,
        driver_sessions.laps_completed,
        driver_sessions.points,
        driver_sessions.positions_gained,
        cast(driver_sessions.pit_stops as {{ dbt.type_int() }}) as pit_stops,
        standings.points as championship_points_after,
        standings.position as championship_position_after,
        teammates.teammate_driver_id,
        teammates.teammate_driver_code,
        teammates.teammate_qualifying_position,
        teammates.teammate_classified_position,
        case
            when teammates.teammate_driver_id is not null
                then {{ is_ahead_of_teammate(
                    'driver_sessions.qualifying_position', 'teammates.teammate_qualifying_position'
                ) }}
        end as is_ahead_of_teammate_in_qualifying,
        case
            when teammates.teammate_driver_id is not null
                then {{ is_ahead_of_teammate(
                    'driver_sessions.classified_position', 'teammates.teammate_classified_position'
                ) }}
        end as is_ahead_of_teammate_in_race
    from driver_sessions
    left outer join teammates
        on
            driver_sessions.session_key = teammates.session_key
            and driver_sessions.driver_id = teammates.driver_id
            and teammates.teammate_rank = 1
    left outer join standings
        on
            driver_sessions.season = standings.season
            and driver_sessions.round_number = standings.round
            and driver_sessions.driver_id = standings.driver_id

)

select * from final
