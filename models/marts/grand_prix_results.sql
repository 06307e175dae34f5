{#-
    One row per (season, round, driver): the weekend's Grand Prix result, sprint result and points, with the
    championship impact (standing and points after the round, and the change from the round before).
-#}
with

results as (

    select
        season,
        round_number,
        session_kind,
        meeting_key,
        session_key,
        driver_id,
        driver_code,
        team_name,
        classified_position,
        status,
        laps_completed,
        gap_to_leader_s,
        has_fastest_lap,
        points
    from {{ ref('fct_session_results') }}
    where
        session_kind in ('race', 'sprint')
        and round_number is not null

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

meetings as (

    select
        meeting_key,
        meeting_name
    from {{ ref('dim_meetings') }}

),

weekends as (

    select
        season,
        round_number,
        driver_id,
        max(meeting_key) as meeting_key,
        max(case when session_kind = 'race' then session_key end) as race_session_key,
        max(driver_code) as driver_code,
        max(case when session_kind = 'race' then team_name end) as team_name,
        max(case when session_kind = 'race' then classified_position end) as race_position,
        max(case when session_kind = 'race' then status end) as race_status,
        max(case when session_kind = 'race' then laps_completed end) as race_laps_completed,
        max(case when session_kind = 'race' then gap_to_leader_s end) as race_gap_to_winner_s,
        coalesce(max(case when session_kind = 'race' and has_fastest_lap then 1 else 0 end) = 1, false)
            as has_fastest_lap,
        sum(case when session_kind = 'race' then points else 0 end) as race_points,
        max(case when session_kind = 'sprint' then classified_position end) as sprint_position,
        sum(case when session_kind = 'sprint' then points else 0 end) as sprint_points,
        sum(points) as weekend_points
    from results
    group by season, round_number, driver_id

),

with_impact as (

    select
        weekends.season,
        weekends.round_number,
        weekends.meeting_key,
        meetings.meeting_name,
        weekends.race_session_key,
        weekends.driver_id,
        weekends.driver_code,
        weekends.team_name,
        weekends.race_position,
        weekends.race_status,
        weekends.race_laps_completed,
        weekends.race_gap_to_winner_s,
        weekends.has_fastest_lap,
        weekends.race_points,
        weekends.sprint_position,
        weekends.sprint_points,
        weekends.weekend_points,
        standings.points as championship_points_after,
        standings.position as championship_position_after,
        previous_standings.position as championship_position_before,
        previous_standings.position - standings.position as championship_positions_gained
    from weekends
    left outer join meetings
        on weekends.meeting_key = meetings.meeting_key
    left outer join standings
        on
            weekends.season = standings.season
            and weekends.round_number = standings.round
            and weekends.driver_id = standings.driver_id
    left outer join standings as previous_standings
        on
            weekends.season = previous_standings.season
            and weekends.round_number - 1 = previous_standings.round
            and weekends.driver_id = previous_standings.driver_id

)

select * from with_impact
