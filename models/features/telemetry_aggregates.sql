{#- One row per (session, driver) with telemetry: lap_telemetry_features summed up over the driver's laps. -#}
{{
    config(
        partition_by={'field': 'season', 'data_type': 'int64', 'range': {'start': 2023, 'end': 2051, 'interval': 1}},
        partitioned_by='season',
        cluster_by=['session_key', 'driver_number'],
    )
}}
with

lap_telemetry as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_started_at,
        driver_number,
        driver_id,
        team_name,
        is_clean_lap,
        car_data_samples,
        top_speed_kph,
        mean_speed_kph,
        full_throttle_share,
        braking_share,
        drs_open_share,
        gear_shifts,
        speed_trap_speed_kph
    from {{ ref('lap_telemetry_features') }}

),

aggregated as (

    select
        session_key,
        driver_number,
        max(meeting_key) as meeting_key,
        max(season) as season,
        max(session_name) as session_name,
        max(session_started_at) as session_started_at,
        max(driver_id) as driver_id,
        max(team_name) as team_name,
        count(case when car_data_samples > 0 then 1 end) as laps_with_telemetry,
        max(top_speed_kph) as top_speed_kph,
        avg(case when is_clean_lap then mean_speed_kph end) as clean_lap_mean_speed_kph,
        avg(case when is_clean_lap then full_throttle_share end) as clean_lap_full_throttle_share,
        avg(case when is_clean_lap then braking_share end) as clean_lap_braking_share,
        avg(drs_open_share) as drs_open_share,
        avg(case when is_clean_lap then {{ dbt.safe_cast('gear_shifts', type_double()) }} end)
            as clean_lap_mean_gear_shifts,
        max(speed_trap_speed_kph) as max_speed_trap_kph,
        avg({{ dbt.safe_cast('speed_trap_speed_kph', type_double()) }}) as mean_speed_trap_kph
    from lap_telemetry
    group by session_key, driver_number

)

select * from aggregated
