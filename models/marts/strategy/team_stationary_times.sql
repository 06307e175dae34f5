{#-
    Stationary time (the car at a standstill in its box) of Grand Prix race stops, one row per (team_name,
    season) with a race stop in fct_pit_losses. OpenF1 reports it (pit stop_duration) from the 2024 US Grand Prix
    on, so a real 2024 season has the rows with stops_with_stationary_time 0 and null times; the simulator
    reports it for every stop. Stops of drivers without a team name are left out.
-#}
with

pit_losses as (

    select
        team_name,
        season,
        stop_duration_s
    from {{ ref('fct_pit_losses') }}

),

by_team as (

    select
        team_name,
        season,
        count(*) as race_stops,
        count(stop_duration_s) as stops_with_stationary_time,
        {{ percentile('stop_duration_s', 0.5) }} as median_stationary_time_s,
        {{ percentile('stop_duration_s', 0.25) }} as p25_stationary_time_s,
        min(stop_duration_s) as best_stationary_time_s
    from pit_losses
    where team_name is not null
    group by team_name, season

)

select * from by_team
