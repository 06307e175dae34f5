{#-
    One row per (season, team_name): results, reliability and pit-lane work, with the final standing.
    Pit-lane figures count Grand Prix race stops only (stop_kind 'race_stop', any track status): red-flag
    entries (tens of minutes in the lane) and penalties served in the pit lane are not pit stops.
-#}
with

results as (

    select
        season,
        team_name,
        race_position,
        race_status,
        weekend_points
    from {{ ref('grand_prix_results') }}
    where team_name is not null

),

pit_stops as (

    select
        season,
        team_name,
        lane_duration_s,
        stop_duration_s
    from {{ ref('fct_pit_stops') }}
    where
        session_kind = 'race'
        and stop_kind = 'race_stop'
        and team_name is not null

),

standings as (

    select
        season,
        team_name,
        position,
        row_number() over (partition by season, team_name order by round desc) as recency_rank
    from {{ ref('constructor_standings') }}

),

team_results as (

    select
        season,
        team_name,
        count(race_status) as race_starts,
        count(case when race_position = 1 then 1 end) as wins,
        count(case when race_position <= 3 then 1 end) as podiums,
        count(case when race_position <= 10 then 1 end) as points_finishes,
        count(case when race_status in ('DNF', 'NC') then 1 end) as retirements,
        avg(race_position) as mean_race_position,
        sum(weekend_points) as points
    from results
    group by season, team_name

),

team_pit_stops as (

    select
        season,
        team_name,
        count(*) as race_pit_stops,
        avg(lane_duration_s) as mean_lane_duration_s,
        avg(stop_duration_s) as mean_stop_duration_s
    from pit_stops
    group by season, team_name

),

final as (

    select
        team_results.season,
        team_results.team_name,
        team_results.race_starts,
        team_results.wins,
        team_results.podiums,
        team_results.points_finishes,
        team_results.retirements,
        team_results.mean_race_position,
        team_results.points,
        team_pit_stops.mean_lane_duration_s,
        team_pit_stops.mean_stop_duration_s,
        standings.position as championship_position,
        coalesce(team_pit_stops.race_pit_stops, 0) as race_pit_stops
    from team_results
    left outer join team_pit_stops
        on
            team_results.season = team_pit_stops.season
            and team_results.team_name = team_pit_stops.team_name
    left outer join standings
        on
            team_results.season = standings.season
            and team_results.team_name = standings.team_name
            and standings.recency_rank = 1

)

select * from final
