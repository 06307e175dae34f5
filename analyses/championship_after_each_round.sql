{#-
    How did the drivers' championship stand after each round? One row per (season, round, driver): position,
    points, points scored that weekend (race and sprint), wins, and the gap to the leader.
    make query SQL_FILE=analyses/championship_after_each_round.sql LIMIT=0
-#}
with

driver_standings as (

    select
        season,
        round,
        race_session_key,
        driver_id,
        driver_code,
        full_name,
        team_name,
        position,
        points,
        round_points,
        wins
    from {{ ref('driver_standings') }}

),

meetings as (

    select
        race_session_key,
        meeting_name
    from {{ ref('dim_meetings') }}
    where race_session_key is not null

),

with_gap as (

    select
        driver_standings.season,
        driver_standings.round,
        meetings.meeting_name,
        driver_standings.position,
        driver_standings.driver_code,
        driver_standings.full_name,
        driver_standings.team_name,
        driver_standings.points,
        driver_standings.round_points,
        driver_standings.wins,
        max(driver_standings.points) over (
            partition by driver_standings.season, driver_standings.round
        ) - driver_standings.points as points_behind_leader
    from driver_standings
    left outer join meetings
        on driver_standings.race_session_key = meetings.race_session_key

),

final as (

    select
        season,
        round,
        meeting_name,
        position,
        driver_code,
        full_name,
        team_name,
        points,
        round_points,
        wins,
        points_behind_leader
    from with_gap

)

select * from final
order by season, round, position, driver_code
