{#-
    How many pit stops did each team make in Grand Prix races, and how quick were they? One row per (season,
    team). Race stops only (stop_kind 'race_stop': red-flag pit-lane entries and penalties served in the pit lane
    are not stops); lane time is pit entry to exit, stationary time the car at rest (when OpenF1 has it).
-#}
with

pit_stops as (

    select
        season,
        session_key,
        team_name,
        lane_duration_s,
        stop_duration_s,
        track_status_at_stop
    from {{ ref('fct_pit_stops') }}
    where
        session_kind = 'race'
        and stop_kind = 'race_stop'

),

by_team as (

    select
        season,
        team_name,
        count(*) as race_pit_stops,
        count(distinct session_key) as races_with_stops,
        count(*) filter (where track_status_at_stop = 'green') as green_flag_stops,
        median(lane_duration_s) as median_lane_duration_s,
        min(lane_duration_s) as fastest_lane_duration_s,
        median(stop_duration_s) as median_stationary_s,
        min(stop_duration_s) as fastest_stationary_s
    from pit_stops
    group by season, team_name

),

final as (

    select
        season,
        team_name,
        race_pit_stops,
        races_with_stops,
        green_flag_stops,
        round(race_pit_stops / races_with_stops, 2) as stops_per_race,
        round(median_lane_duration_s, 3) as median_lane_duration_s,
        round(fastest_lane_duration_s, 3) as fastest_lane_duration_s,
        round(median_stationary_s, 3) as median_stationary_s,
        round(fastest_stationary_s, 3) as fastest_stationary_s
    from by_team

)

select * from final
order by season, median_stationary_s, team_name
