{#-
    One row per telemetry sample of each driver's fastest lap of a session (the least lap_duration_s among his
    laps that have a start, ties to the lower lap_number; lap 1 has no start in OpenF1, so it is never picked),
    in sessions with car_data or location.

    A lap with car_data: its car_data samples (distance_source 'speed'): distance along the lap is the
    trapezoid integral of speed over time, the first sample's distance the constant-speed stretch from the line;
    x/y are the location stream interpolated linearly in time at the sample's instant (the location samples on
    either side of it). A lap with location only (distance_source 'path'): its location samples, distance the
    cumulative chord length of x/y (decimetres: / 10), the first chord from the last sample before the line
    counted for its share of time after the line. lap_distance_m is the distance at the lap's end (extrapolated
    the same way past the last sample), lap_fraction the sample's distance over it: the comparisons align laps
    on it, so two laps start and end together.

    Cheap: the big staging tables are joined to the selected laps on (session_key, driver_number) and filtered
    to each lap's window (the location stream with var telemetry_location_margin_s either side) first.
    Incremental: a build rebuilds only the sessions macros/telemetry_sessions_to_refresh.sql names (the newest
    and any not held yet), so its cost follows the round added, not the seasons kept; a pre-hook deletes their
    rows first, then they are appended (append_strategy). Every row comes from a telemetry sample, so filtering the
    two staging tables to those sessions is enough (and lets the warehouse prune their scans).
-#}
{%- set sessions_to_build = refresh_by_session() -%}
{%- set margin_ms = var('telemetry_location_margin_s') * 1000 -%}
{%- set mini_sectors = var('telemetry_mini_sectors') -%}
with

laps as (

    select
        session_key,
        meeting_key,
        season,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        lap_number,
        started_at,
        completed_at,
        lap_duration_s
    from {{ ref('fct_laps') }}
    where
        started_at is not null
        and completed_at is not null
        and lap_duration_s is not null

),

sessions as (

    select
        session_key,
        session_kind,
        circuit_short_name
    from {{ ref('dim_sessions') }}

),

circuit_lengths as (

    select
        circuit_short_name,
        lap_length_km
    from {{ ref('circuit_lengths') }}

),

car_data as (

    select
        session_key,
        driver_number,
        recorded_at,
        speed_kph,
        throttle_pct,
        brake_pct,
        gear,
        drs_code
    from {{ ref('stg_openf1__car_data') }}
    {%- if sessions_to_build %}
    where session_key in {{ sessions_to_build }}
    {%- endif %}

),

locations as (

    select
        session_key,
        driver_number,
        recorded_at,
        x_position,
        y_position
    from {{ ref('stg_openf1__locations') }}
    {%- if sessions_to_build %}
    where session_key in {{ sessions_to_build }}
    {%- endif %}

),

ranked_laps as (

    select
        *,
        row_number() over (
            partition by session_key, driver_number
            order by lap_duration_s, lap_number
        ) as driver_lap_rank
    from laps

),

fastest_laps as (

    select
        session_key,
        meeting_key,
        season,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        lap_number,
        started_at as lap_started_at,
        completed_at as lap_ended_at,
        lap_duration_s
    from ranked_laps
    where driver_lap_rank = 1

),

lap_car_data as (

    select
        car_data.session_key,
        car_data.driver_number,
        car_data.recorded_at,
        car_data.speed_kph,
        car_data.throttle_pct,
        car_data.brake_pct,
        car_data.gear,
        car_data.drs_code,
        fastest_laps.lap_started_at,
        fastest_laps.lap_duration_s
    from car_data
    inner join fastest_laps
        on
            car_data.session_key = fastest_laps.session_key
            and car_data.driver_number = fastest_laps.driver_number
            and car_data.recorded_at >= fastest_laps.lap_started_at
            and car_data.recorded_at < fastest_laps.lap_ended_at

),

laps_with_car_data as (

    select
        session_key,
        driver_number
    from lap_car_data
    group by session_key, driver_number

),

-- the location stream around each selected lap: its window widened by the margin, so the samples nearest the
-- line on either side are there to interpolate from
lap_locations as (

    select
        locations.session_key,
        locations.driver_number,
        locations.recorded_at,
        {{ dbt.safe_cast('locations.x_position', type_double()) }} as x_position,
        {{ dbt.safe_cast('locations.y_position', type_double()) }} as y_position,
        fastest_laps.lap_started_at,
        fastest_laps.lap_ended_at,
        fastest_laps.lap_duration_s
    from locations
    inner join fastest_laps
        on
            locations.session_key = fastest_laps.session_key
            and locations.driver_number = fastest_laps.driver_number
            and {{ dbt.datediff('locations.recorded_at', 'fastest_laps.lap_started_at', 'millisecond') }}
            <= {{ margin_ms }}
            and {{ dbt.datediff('fastest_laps.lap_ended_at', 'locations.recorded_at', 'millisecond') }}
            <= {{ margin_ms }}

),

location_neighbours as (

    select
        session_key,
        driver_number,
        recorded_at,
        x_position,
        y_position,
        lap_started_at,
        lap_ended_at,
        lap_duration_s,
        lag(recorded_at) over stream as previous_recorded_at,
        lag(x_position) over stream as previous_x_position,
        lag(y_position) over stream as previous_y_position,
        lead(recorded_at) over stream as next_recorded_at,
        lead(x_position) over stream as next_x_position,
        lead(y_position) over stream as next_y_position
    from lap_locations
    window stream as (partition by session_key, driver_number order by recorded_at)

),

-- the same in seconds: since the lap's start, since the sample before, to the lap's end, to the sample after
location_timings as (

    select
        session_key,
        driver_number,
        recorded_at,
        x_position,
        y_position,
        previous_x_position,
        previous_y_position,
        next_x_position,
        next_y_position,
        lap_started_at,
        lap_ended_at,
        {{ dbt.datediff('lap_started_at', 'recorded_at', 'millisecond') }} / 1000.0 as elapsed_s,  -- noqa: LT05
        {{ dbt.datediff('previous_recorded_at', 'recorded_at', 'millisecond') }} / 1000.0 as since_previous_s,  -- noqa: LT05
        {{ dbt.datediff('recorded_at', 'lap_ended_at', 'millisecond') }} / 1000.0 as to_lap_end_s,  -- noqa: LT05
        {{ dbt.datediff('recorded_at', 'next_recorded_at', 'millisecond') }} / 1000.0 as to_next_s  -- noqa: LT05
    from location_neighbours

),

-- each location sample with the one after it: the interval the as-of join tags car samples with (the stream's
-- last sample starts none: every interval column is set, so BigQuery's carry-forward of each column, which skips
-- nulls, keeps them from the same interval)
location_intervals as (

    select
        session_key,
        driver_number,
        recorded_at as located_at,
        x_position as from_x_position,
        y_position as from_y_position,
        next_x_position as to_x_position,
        next_y_position as to_y_position,
        to_next_s as interval_s
    from location_timings
    where next_x_position is not null and next_y_position is not null

),

car_samples_located as (

    {{ interval_asof_join(
        'lap_car_data', 'location_intervals', ['session_key', 'driver_number'], 'recorded_at', 'located_at',
        ['speed_kph', 'throttle_pct', 'brake_pct', 'gear', 'drs_code', 'lap_started_at', 'lap_duration_s'],
        ['located_at', 'from_x_position', 'from_y_position', 'to_x_position', 'to_y_position', 'interval_s']
    ) }}

),

car_samples_timed as (

    select
        session_key,
        driver_number,
        recorded_at,
        speed_kph,
        throttle_pct,
        brake_pct,
        gear,
        drs_code,
        lap_duration_s,
        elapsed_s,
        case
            when interval_s > 0
                then from_x_position + (to_x_position - from_x_position) * since_located_s / interval_s
            else from_x_position
        end as x_position,
        case
            when interval_s > 0
                then from_y_position + (to_y_position - from_y_position) * since_located_s / interval_s
            else from_y_position
        end as y_position
    from (
        select
            *,
            {{ dbt.datediff('lap_started_at', 'recorded_at', 'millisecond') }} / 1000.0 as elapsed_s,  -- noqa: LT05
            {{ dbt.datediff('located_at', 'recorded_at', 'millisecond') }} / 1000.0 as since_located_s  -- noqa: LT05
        from car_samples_located
    ) as timed

),

car_samples_stepped as (

    select
        *,
        case
            when lag(elapsed_s) over stream is null
                -- from the line at the first sample's speed
                then speed_kph / 3.6 * elapsed_s
            else (speed_kph + lag(speed_kph) over stream) / 2 / 3.6 * (elapsed_s - lag(elapsed_s) over stream)
        end as step_m,
        case
            when lead(elapsed_s) over stream is null
                -- to the line at the last sample's speed
                then speed_kph / 3.6 * (lap_duration_s - elapsed_s)
            else 0
        end as rest_of_lap_m
    from car_samples_timed
    window stream as (partition by session_key, driver_number order by recorded_at)

),

car_samples as (

    select
        session_key,
        driver_number,
        recorded_at,
        elapsed_s,
        speed_kph,
        throttle_pct,
        brake_pct,
        gear,
        drs_code,
        x_position,
        y_position,
        step_m,
        rest_of_lap_m,
        'speed' as distance_source
    from car_samples_stepped

),

path_samples_stepped as (

    select
        location_timings.session_key,
        location_timings.driver_number,
        location_timings.recorded_at,
        location_timings.elapsed_s,
        location_timings.x_position,
        location_timings.y_position,
        -- decimetres to metres; the first chord (from the last sample before the line) for its share after it
        sqrt(
            power(location_timings.x_position - location_timings.previous_x_position, 2)
            + power(location_timings.y_position - location_timings.previous_y_position, 2)
        ) / 10 * case
            when location_timings.elapsed_s < location_timings.since_previous_s
                then location_timings.elapsed_s / location_timings.since_previous_s
            else 1
        end as step_m,
        -- the last chord (to the first sample after the line) for its share before it
        case
            when location_timings.to_next_s >= location_timings.to_lap_end_s
                then sqrt(
                    power(location_timings.next_x_position - location_timings.x_position, 2)
                    + power(location_timings.next_y_position - location_timings.y_position, 2)
                ) / 10 * location_timings.to_lap_end_s / location_timings.to_next_s
            else 0
        end as rest_of_lap_m
    from location_timings
    left outer join laps_with_car_data
        on
            location_timings.session_key = laps_with_car_data.session_key
            and location_timings.driver_number = laps_with_car_data.driver_number
    where
        laps_with_car_data.session_key is null
        and location_timings.recorded_at >= location_timings.lap_started_at
        and location_timings.recorded_at < location_timings.lap_ended_at

),

path_samples as (

    select
        session_key,
        driver_number,
        recorded_at,
        elapsed_s,
        cast(null as {{ dbt.type_int() }}) as speed_kph,
        cast(null as {{ dbt.type_int() }}) as throttle_pct,
        cast(null as {{ dbt.type_int() }}) as brake_pct,
        cast(null as {{ dbt.type_int() }}) as gear,
        cast(null as {{ dbt.type_int() }}) as drs_code,
        x_position,
        y_position,
        -- a sample without one before it (the stream starts inside the lap) starts the distance
        coalesce(step_m, 0) as step_m,
        coalesce(rest_of_lap_m, 0) as rest_of_lap_m,
        'path' as distance_source
    from path_samples_stepped

),

samples as (

    select * from car_samples
    union all
    select * from path_samples

),

samples_measured as (

    select
        session_key,
        driver_number,
        recorded_at,
        elapsed_s,
        speed_kph,
        throttle_pct,
        brake_pct,
        gear,
        drs_code,
        x_position,
        y_position,
        distance_source,
        row_number() over lap_samples - 1 as sample_index,
        sum(step_m) over (lap_samples rows between unbounded preceding and current row) as distance_m,
        sum(step_m + rest_of_lap_m) over (partition by session_key, driver_number) as lap_distance_m
    from samples
    window lap_samples as (partition by session_key, driver_number order by recorded_at)

),

sampled_laps as (

    select
        session_key,
        driver_number
    from samples
    group by session_key, driver_number

),

-- the fastest laps that have samples, ranked within their session (1: the session's fastest)
session_ranked_laps as (

    select
        fastest_laps.*,
        row_number() over (
            partition by fastest_laps.session_key
            order by fastest_laps.lap_duration_s, fastest_laps.driver_number
        ) as session_lap_rank
    from fastest_laps
    inner join sampled_laps
        on
            fastest_laps.session_key = sampled_laps.session_key
            and fastest_laps.driver_number = sampled_laps.driver_number

),

final as (

    select
        session_ranked_laps.session_key,
        session_ranked_laps.meeting_key,
        session_ranked_laps.season,
        sessions.session_kind,
        sessions.circuit_short_name,
        session_ranked_laps.driver_number,
        session_ranked_laps.driver_id,
        session_ranked_laps.driver_code,
        session_ranked_laps.team_name,
        session_ranked_laps.lap_number,
        session_ranked_laps.lap_duration_s,
        session_ranked_laps.session_lap_rank,
        samples_measured.sample_index,
        samples_measured.recorded_at,
        samples_measured.elapsed_s,
        samples_measured.distance_m,
        samples_measured.lap_distance_m,
        case
            when samples_measured.lap_distance_m > 0
                then samples_measured.distance_m / samples_measured.lap_distance_m
        end as lap_fraction,
        circuit_lengths.lap_length_km * 1000 as circuit_lap_length_m,
        case
            when samples_measured.lap_distance_m > 0
                then {{ dbt_least([
                    'cast(floor(samples_measured.distance_m / samples_measured.lap_distance_m * '
                        ~ mini_sectors ~ ') as ' ~ dbt.type_int() ~ ') + 1',
                    mini_sectors | string,
                ]) }}
        end as mini_sector_number,
        samples_measured.speed_kph,
        samples_measured.throttle_pct,
        samples_measured.brake_pct,
        samples_measured.gear,
        samples_measured.drs_code,
        samples_measured.x_position,
        samples_measured.y_position,
        samples_measured.distance_source
    from samples_measured
    inner join session_ranked_laps
        on
            samples_measured.session_key = session_ranked_laps.session_key
            and samples_measured.driver_number = session_ranked_laps.driver_number
    left outer join sessions
        on samples_measured.session_key = sessions.session_key
    left outer join circuit_lengths
        on sessions.circuit_short_name = circuit_lengths.circuit_short_name

)

select * from final
