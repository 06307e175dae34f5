{#-
    One row per Grand Prix race. pre_race_* and circuit_* / season_* columns are knowable before the start
    (weather of the weekend's earlier sessions, earlier races at the circuit and in the season); observed_*
    columns describe the race itself (its weather, safety cars, overtakes) and are for analysis or as
    targets, never as inputs to a pre-race prediction.
-#}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_kind,
        circuit_key,
        circuit_short_name,
        started_at,
        is_cancelled
    from {{ ref('dim_sessions') }}

),

weather as (

    select
        session_key,
        meeting_key,
        recorded_at,
        air_temperature_c,
        track_temperature_c,
        humidity_pct,
        is_raining
    from {{ ref('fct_weather') }}

),

laps as (

    select
        session_key,
        meeting_key,
        lap_number,
        lap_duration_s,
        speed_trap_speed_kph,
        track_status,
        session_started_at
    from {{ ref('fct_laps') }}

),

overtakes as (

    select session_key
    from {{ ref('fct_overtakes') }}

),

pit_stops as (

    select
        session_key,
        lane_duration_s
    from {{ ref('fct_pit_stops') }}
    -- race stops (no red-flag entries or penalties); longer passages are repairs (as marts.pit_loss_by_circuit)
    where
        stop_kind = 'race_stop'
        and lane_duration_s between 10 and 60

),

races as (

    select
        session_key as race_session_key,
        meeting_key,
        season,
        round_number,
        circuit_key,
        circuit_short_name,
        started_at as race_started_at
    from sessions
    where
        session_kind = 'race'
        and not coalesce(is_cancelled, false)

),

pre_race_weather as (

    select
        races.race_session_key,
        avg(weather.air_temperature_c) as mean_air_temperature_c,
        avg(weather.track_temperature_c) as mean_track_temperature_c,
        max(weather.track_temperature_c) as max_track_temperature_c,
        avg(weather.humidity_pct) as mean_humidity_pct,
        avg(case when weather.is_raining then 1.0 else 0.0 end) as rain_share
    from races
    inner join weather
        on
            races.meeting_key = weather.meeting_key
            and races.race_started_at > weather.recorded_at
            -- the race session's own pre-start samples are published with the race: not knowable before it
            and races.race_session_key != weather.session_key
    group by races.race_session_key

),

race_weather as (

    select
        races.race_session_key,
        avg(weather.air_temperature_c) as mean_air_temperature_c,
        avg(weather.track_temperature_c) as mean_track_temperature_c,
        avg(case when weather.is_raining then 1.0 else 0.0 end) as rain_share
    from races
    inner join weather
        on races.race_session_key = weather.session_key
    group by races.race_session_key

),

pre_race_laps as (

    select
        races.race_session_key,
        min(laps.lap_duration_s) as best_lap_duration_s,
        max(laps.speed_trap_speed_kph) as max_speed_trap_kph
    from races
    inner join laps
        on
            races.meeting_key = laps.meeting_key
            and races.race_started_at > laps.session_started_at
    group by races.race_session_key

),

race_outcomes as (

    select
        races.race_session_key,
        races.season,
        races.circuit_key,
        races.race_started_at,
        max(case when laps.track_status = 'sc' then 1.0 else 0.0 end) as has_safety_car,
        max(case when laps.track_status = 'vsc' then 1.0 else 0.0 end) as has_virtual_safety_car,
        max(laps.lap_number) as laps_run
    from races
    inner join laps
        on races.race_session_key = laps.session_key
    group by races.race_session_key, races.season, races.circuit_key, races.race_started_at

),

race_overtakes as (

    select
        session_key,
        count(*) as overtakes
    from overtakes
    group by session_key

),

race_pit_lanes as (

    select
        session_key,
        avg(lane_duration_s) as mean_pit_lane_duration_s
    from pit_stops
    group by session_key

),

race_summaries as (

    select
        race_outcomes.race_session_key,
        race_outcomes.season,
        race_outcomes.circuit_key,
        race_outcomes.race_started_at,
        race_outcomes.has_safety_car,
        race_outcomes.has_virtual_safety_car,
        race_outcomes.laps_run,
        race_pit_lanes.mean_pit_lane_duration_s,
        coalesce(race_overtakes.overtakes, 0) as overtakes
    from race_outcomes
    left outer join race_overtakes
        on race_outcomes.race_session_key = race_overtakes.session_key
    left outer join race_pit_lanes
        on race_outcomes.race_session_key = race_pit_lanes.session_key

),

history as (

    select
        races.race_session_key,
        count(case when earlier.circuit_key = races.circuit_key then 1 end) as circuit_previous_races,
        avg(case when earlier.circuit_key = races.circuit_key then earlier.has_safety_car end)
            as circuit_safety_car_rate,
        avg(case when earlier.circuit_key = races.circuit_key then earlier.has_virtual_safety_car end)
            as circuit_virtual_safety_car_rate,
        avg(case when earlier.circuit_key = races.circuit_key then earlier.mean_pit_lane_duration_s end)
            as circuit_mean_pit_lane_duration_s,
        avg(case when earlier.circuit_key = races.circuit_key then earlier.overtakes end)
            as circuit_overtakes_per_race,
        count(case when earlier.season = races.season then 1 end) as season_previous_races,
        avg(case when earlier.season = races.season then earlier.has_safety_car end) as season_safety_car_rate,
        avg(case when earlier.season = races.season then earlier.overtakes end) as season_overtakes_per_race
    from races
    inner join race_summaries as earlier
        on races.race_started_at > earlier.race_started_at
    group by races.race_session_key

),

final as (

    select
        races.race_session_key,
        races.meeting_key,
        races.season,
        races.round_number,
        races.circuit_key,
        races.circuit_short_name,
        races.race_started_at,
        {{ dbt.cast('races.race_started_at', 'date') }} as race_date,
        pre_race_weather.mean_air_temperature_c as pre_race_mean_air_temperature_c,
        pre_race_weather.mean_track_temperature_c as pre_race_mean_track_temperature_c,
        pre_race_weather.max_track_temperature_c as pre_race_max_track_temperature_c,
        pre_race_weather.mean_humidity_pct as pre_race_mean_humidity_pct,
        pre_race_weather.rain_share as pre_race_rain_share,
        pre_race_laps.best_lap_duration_s as pre_race_best_lap_duration_s,
        pre_race_laps.max_speed_trap_kph as pre_race_max_speed_trap_kph,
        history.circuit_safety_car_rate,
        history.circuit_virtual_safety_car_rate,
        history.circuit_mean_pit_lane_duration_s,
        history.circuit_overtakes_per_race,
        history.season_safety_car_rate,
        history.season_overtakes_per_race,
        race_weather.mean_air_temperature_c as observed_mean_air_temperature_c,
        race_weather.mean_track_temperature_c as observed_mean_track_temperature_c,
        race_weather.rain_share as observed_rain_share,
        race_summaries.mean_pit_lane_duration_s as observed_mean_pit_lane_duration_s,
        race_summaries.overtakes as observed_overtakes,
        race_summaries.laps_run as observed_laps,
        coalesce(history.circuit_previous_races, 0) as circuit_previous_races,
        coalesce(history.season_previous_races, 0) as season_previous_races,
        race_summaries.has_safety_car = 1 as observed_has_safety_car,
        race_summaries.has_virtual_safety_car = 1 as observed_has_virtual_safety_car
    from races
    left outer join pre_race_weather
        on races.race_session_key = pre_race_weather.race_session_key
    left outer join race_weather
        on races.race_session_key = race_weather.race_session_key
    left outer join pre_race_laps
        on races.race_session_key = pre_race_laps.race_session_key
    left outer join history
        on races.race_session_key = history.race_session_key
    left outer join race_summaries
        on races.race_session_key = race_summaries.race_session_key

)

select * from final
