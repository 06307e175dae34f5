{#-
    One row per (circuit, season): the pit-lane time (entry to exit) of green-flag Grand Prix race stops
    (stop_kind 'race_stop', track_status_at_stop 'green': red-flag entries and penalties are not stops) between
    10 and 60 s (longer ones are repairs). Pit-lane time is not the time a stop costs (that is the lane time
    less the racing time the lane bypasses, plus the slowing into and out of it and the out-lap's cold tyres):
    for that, by track status (green, VSC, SC), read marts/strategy/fct_pit_losses (per stop) and
    pit_loss_by_track_status (per circuit and season); team_stationary_times has the stationary times.
-#}
with

pit_stops as (

    select
        circuit_key,
        season,
        lane_duration_s,
        stop_duration_s
    from {{ ref('fct_pit_stops') }}
    where
        session_kind = 'race'
        and stop_kind = 'race_stop'
        and track_status_at_stop = 'green'
        and circuit_key is not null
        and lane_duration_s between 10 and 60

),

circuits as (

    select
        circuit_key,
        circuit_short_name
    from {{ ref('dim_circuits') }}

),

by_circuit as (

    select
        circuit_key,
        season,
        count(*) as pit_stops,
        avg(lane_duration_s) as mean_lane_duration_s,
        min(lane_duration_s) as min_lane_duration_s,
        max(lane_duration_s) as max_lane_duration_s,
        avg(stop_duration_s) as mean_stop_duration_s,
        avg(lane_duration_s) - coalesce(avg(stop_duration_s), 0) as mean_lane_travel_s
    from pit_stops
    group by circuit_key, season

),

final as (

    select
        by_circuit.circuit_key,
        circuits.circuit_short_name,
        by_circuit.season,
        by_circuit.pit_stops,
        by_circuit.mean_lane_duration_s,
        by_circuit.min_lane_duration_s,
        by_circuit.max_lane_duration_s,
        by_circuit.mean_stop_duration_s,
        by_circuit.mean_lane_travel_s
    from by_circuit
    left outer join circuits
        on by_circuit.circuit_key = circuits.circuit_key

)

select * from final
