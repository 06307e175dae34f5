{#-
    One row per (session, driver, lap) of the sessions with telemetry: car_data and location samples tagged
    with their lap by an as-of join on the lap's start (macro interval_asof_join: DuckDB ASOF join, BigQuery
    carry-forward), kept when before the lap's end: [started_at, next lap's start), the last lap ending at
    started_at + lap_duration_s. Lap 1 has no start in OpenF1, so it gets no telemetry.
    Incremental: a build adds or replaces the sessions macros/telemetry_sessions_to_refresh.sql names (those
    that started at or after the newest one already in the table, and any session not in it yet: telemetry
    loaded later for an older session), so adding a round reads that round's telemetry only. Telemetry reloaded
    for a session already in the table needs --full-refresh (make build FULL_REFRESH=1).
-#}
{{
    config(
        materialized='incremental',
        unique_key=['session_key', 'driver_number', 'lap_number'],
        incremental_strategy='merge',
        on_schema_change='append_new_columns',
        partition_by={'field': 'season', 'data_type': 'int64', 'range': {'start': 2023, 'end': 2051, 'interval': 1}},
        partitioned_by='season',
        cluster_by=['session_key', 'driver_number'],
    )
}}
{%- set full_throttle_pct = var('full_throttle_pct') -%}
{#- The sessions to (re)build, looked up before the query runs: a literal list lets the warehouse filter the
    telemetry staging tables at their scan. -#}
{%- set only_sessions_to_build = '' -%}
{%- if is_incremental() and execute -%}
    {%- set only_sessions_to_build = '\n    where session_key in ' ~ telemetry_sessions_to_refresh() -%}
{%- endif -%}
with

laps as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_started_at,
        driver_number,
        driver_id,
        team_name,
        lap_number,
        started_at,
        lap_duration_s,
        intermediate_1_speed_kph,
        intermediate_2_speed_kph,
        speed_trap_speed_kph,
        is_clean_lap,
        completed_at
    from {{ ref('fct_laps') }}
    {{- only_sessions_to_build }}

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
    {{- only_sessions_to_build }}

),

locations as (

    select
        session_key,
        driver_number,
        recorded_at,
        x_position,
        y_position
    from {{ ref('stg_openf1__locations') }}
    {{- only_sessions_to_build }}

),

telemetry_sessions as (

    select distinct session_key
    from car_data

),

lap_intervals as (

    select
        laps.session_key,
        laps.driver_number,
        laps.lap_number,
        laps.started_at as lap_started_at,
        laps.completed_at as lap_ended_at
    from laps
    inner join telemetry_sessions
        on laps.session_key = telemetry_sessions.session_key
    where laps.started_at is not null

),

car_data_changes as (

    select
        session_key,
        driver_number,
        recorded_at,
        speed_kph,
        throttle_pct,
        brake_pct,
        drs_code,
        case
            when
                gear != lag(gear) over (partition by session_key, driver_number order by recorded_at)
                then 1
            else 0
        end as gear_shift
    from car_data

),

location_steps as (

    select
        session_key,
        driver_number,
        recorded_at,
        sqrt(
            power(x_position - lag(x_position) over (partition by session_key, driver_number order by recorded_at), 2)
            + power(y_position - lag(y_position) over (partition by session_key, driver_number order by recorded_at), 2)
        ) as step_length
    from locations

),

car_data_on_laps as (

    {{ interval_asof_join(
        'car_data_changes', 'lap_intervals', ['session_key', 'driver_number'], 'recorded_at', 'lap_started_at',
        ['speed_kph', 'throttle_pct', 'brake_pct', 'drs_code', 'gear_shift'],
        ['lap_number', 'lap_ended_at']
    ) }}

),

locations_on_laps as (

    {{ interval_asof_join(
        'location_steps', 'lap_intervals', ['session_key', 'driver_number'], 'recorded_at', 'lap_started_at',
        ['step_length'],
        ['lap_number', 'lap_ended_at']
    ) }}

),

car_data_by_lap as (

    select
        session_key,
        driver_number,
        lap_number,
        count(*) as car_data_samples,
        max(speed_kph) as top_speed_kph,
        avg({{ dbt.safe_cast('speed_kph', type_double()) }}) as mean_speed_kph,
        avg(case when throttle_pct >= {{ full_throttle_pct }} then 1.0 else 0.0 end) as full_throttle_share,
        avg(case when brake_pct > 0 then 1.0 else 0.0 end) as braking_share,
        avg(case when drs_code in (10, 12, 14) then 1.0 else 0.0 end) as drs_open_share,
        count(case when gear_shift = 1 then 1 end) as gear_shifts
    from car_data_on_laps
    where
        lap_number is not null
        and recorded_at < lap_ended_at
    group by session_key, driver_number, lap_number

),

locations_by_lap as (

    select
        session_key,
        driver_number,
        lap_number,
        count(*) as location_samples,
        sum(step_length) as path_length_units
    from locations_on_laps
    where
        lap_number is not null
        and recorded_at < lap_ended_at
    group by session_key, driver_number, lap_number

),

final as (

    select
        laps.session_key,
        laps.meeting_key,
        laps.season,
        laps.session_name,
        laps.session_started_at,
        laps.driver_number,
        laps.driver_id,
        laps.team_name,
        laps.lap_number,
        laps.started_at as lap_started_at,
        laps.lap_duration_s,
        laps.is_clean_lap,
        laps.intermediate_1_speed_kph,
        laps.intermediate_2_speed_kph,
        laps.speed_trap_speed_kph,
        car_data_by_lap.top_speed_kph,
        car_data_by_lap.mean_speed_kph,
        car_data_by_lap.full_throttle_share,
        car_data_by_lap.braking_share,
        car_data_by_lap.drs_open_share,
        car_data_by_lap.gear_shifts,
        locations_by_lap.path_length_units,
        coalesce(car_data_by_lap.car_data_samples, 0) as car_data_samples,
        coalesce(locations_by_lap.location_samples, 0) as location_samples
    from laps
    inner join telemetry_sessions
        on laps.session_key = telemetry_sessions.session_key
    left outer join car_data_by_lap
        on
            laps.session_key = car_data_by_lap.session_key
            and laps.driver_number = car_data_by_lap.driver_number
            and laps.lap_number = car_data_by_lap.lap_number
    left outer join locations_by_lap
        on
            laps.session_key = locations_by_lap.session_key
            and laps.driver_number = locations_by_lap.driver_number
            and laps.lap_number = locations_by_lap.lap_number

)

select * from final
