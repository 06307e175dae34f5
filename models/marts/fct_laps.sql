{#-
    Incremental: a build adds or replaces the laps of sessions that started at or after the newest session
    already in the table (delete+insert on the grain). A reloaded older session needs --full-refresh (make build FULL_REFRESH=1).
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

with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        intermediate_1_speed_kph,
        intermediate_2_speed_kph,
        speed_trap_speed_kph,
        is_pit_out_lap,
        is_pit_in_lap,
        stint_number,
        compound,
        tyre_age_laps,
        track_status,
        air_temperature_c,
        track_temperature_c,
        is_raining,
        position_at_lap_end,
        is_clean_lap,
        completed_at
    from {{ ref('int_laps_enriched') }}

),

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        started_at,
        session_date
    from {{ ref('stg_openf1__sessions') }}
    {%- if is_incremental() %}
    {#- a table built before session_date existed gets every session again (merged on the grain): backfilled #}
    {%- set built_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
    {%- if 'session_date' in built_columns %}
    where started_at >= (select max(session_started_at) from {{ this }})
    {%- endif %}
    {%- endif %}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code,
        full_name,
        team_name
    from {{ ref('int_drivers_identified') }}

),

laps_with_context as (

    select
        laps.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.session_name,
        sessions.session_type,
        sessions.started_at as session_started_at,
        sessions.session_date,
        laps.driver_number,
        drivers.driver_id,
        drivers.driver_code,
        drivers.full_name,
        drivers.team_name,
        laps.lap_number,
        laps.started_at,
        laps.lap_duration_s,
        laps.sector_1_duration_s,
        laps.sector_2_duration_s,
        laps.sector_3_duration_s,
        laps.intermediate_1_speed_kph,
        laps.intermediate_2_speed_kph,
        laps.speed_trap_speed_kph,
        laps.is_pit_out_lap,
        laps.is_pit_in_lap,
        laps.stint_number,
        laps.compound,
        laps.tyre_age_laps,
        laps.track_status,
        laps.air_temperature_c,
        laps.track_temperature_c,
        laps.is_raining,
        laps.position_at_lap_end,
        laps.is_clean_lap,
        laps.completed_at
    from laps
    inner join sessions
        on laps.session_key = sessions.session_key
    left outer join drivers
        on
            laps.session_key = drivers.session_key
            and laps.driver_number = drivers.driver_number

),

ranked as (

    select
        *,
        case
            when lap_duration_s is null then null
            else rank() over (partition by session_key order by lap_duration_s asc nulls last)
        end as session_lap_time_rank,
        case
            when lap_duration_s is null then null
            else rank() over (partition by session_key, driver_number order by lap_duration_s asc nulls last)
        end as driver_lap_time_rank,
        min(completed_at) over (partition by session_key, lap_number) as leader_completed_at
    from laps_with_context

),

final as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        driver_number,
        driver_code,
        full_name,
        team_name,
        lap_number,
        started_at,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        intermediate_1_speed_kph,
        intermediate_2_speed_kph,
        speed_trap_speed_kph,
        is_pit_out_lap,
        session_started_at,
        driver_id,
        is_pit_in_lap,
        stint_number,
        compound,
        tyre_age_laps,
        track_status,
        air_temperature_c,
        track_temperature_c,
        is_raining,
        position_at_lap_end,
        is_clean_lap,
        coalesce(session_lap_time_rank = 1, false) as is_session_fastest_lap,
        coalesce(driver_lap_time_rank = 1, false) as is_personal_best_lap,
        -- races only: how far behind the first car to complete this lap (lapped cars include the lap)
        case
            when session_type = 'Race'
                then {{ dbt.datediff('leader_completed_at', 'completed_at', 'millisecond') }} / 1000.0  -- noqa: LT05
        end as gap_to_leader_s,
        completed_at,
        session_date
    from ranked

)

select * from final
