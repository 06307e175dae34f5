{#-
    Who won each Grand Prix? One row per race of every season: the winner, the team, where they started and
    how many wins they had that season after it. make query SQL_FILE=analyses/race_winners_by_season.sql
-#}
with

race_results as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        driver_id,
        driver_code,
        full_name,
        team_name,
        grid_position,
        duration_s,
        points
    from {{ ref('fct_session_results') }}
    where
        session_kind = 'race'
        and classified_position = 1

),

meetings as (

    select
        meeting_key,
        meeting_name,
        circuit_short_name
    from {{ ref('dim_meetings') }}

),

winners as (

    select
        race_results.season,
        race_results.round_number,
        meetings.meeting_name,
        meetings.circuit_short_name,
        race_results.driver_code,
        race_results.full_name,
        race_results.team_name,
        race_results.grid_position,
        race_results.duration_s as race_duration_s,
        race_results.points,
        count(*) over (
            partition by race_results.season, race_results.driver_id
            order by race_results.round_number, race_results.session_key
            rows between unbounded preceding and current row
        ) as season_wins_so_far
    from race_results
    left outer join meetings
        on race_results.meeting_key = meetings.meeting_key

),

final as (

    select
        season,
        round_number,
        meeting_name,
        circuit_short_name,
        driver_code,
        full_name,
        team_name,
        grid_position,
        race_duration_s,
        points,
        season_wins_so_far
    from winners

)

select * from final
order by season, round_number
