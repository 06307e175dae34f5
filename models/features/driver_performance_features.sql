{#-
    One row per (Grand Prix race, driver who raced it): how the driver performed in the race, from
    stint_features (fuel- and tyre-corrected pace against the field, degradation) and telemetry_aggregates.
    Describes the race itself: lag it (e.g. join earlier races) before using it to predict a later one.
-#}
with

stints as (

    select
        session_key,
        driver_number,
        compound,
        representative_laps,
        pace_vs_field_s,
        degradation_s_per_lap,
        mean_pace_vs_session_best_s
    from {{ ref('stint_features') }}
    where session_kind = 'race'

),

results as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        driver_number,
        driver_id,
        team_name,
        classified_position,
        points
    from {{ ref('fct_session_results') }}
    where session_kind = 'race'

),

telemetry as (

    select
        session_key,
        driver_number,
        top_speed_kph,
        clean_lap_full_throttle_share,
        clean_lap_braking_share,
        drs_open_share
    from {{ ref('telemetry_aggregates') }}

),

sessions as (

    select
        session_key,
        started_at
    from {{ ref('dim_sessions') }}

),

stint_summary as (

    select
        session_key,
        driver_number,
        count(*) as stints,
        cast(sum(representative_laps) as {{ dbt.type_bigint() }}) as representative_laps,
        -- lap-weighted over stints with a pace
        sum(pace_vs_field_s * representative_laps)
        / nullif(sum(case when pace_vs_field_s is not null then representative_laps end), 0)
            as race_pace_vs_field_s,
        sum(mean_pace_vs_session_best_s * representative_laps)
        / nullif(sum(case when mean_pace_vs_session_best_s is not null then representative_laps end), 0)
            as race_pace_vs_session_best_s,
        avg(degradation_s_per_lap) as mean_degradation_s_per_lap
    from stints
    group by session_key, driver_number

),

final as (

    select
        results.session_key as race_session_key,
        results.meeting_key,
        results.season,
        results.round_number,
        sessions.started_at as race_started_at,
        {{ dbt.cast('sessions.started_at', 'date') }} as race_date,
        results.driver_number,
        results.driver_id,
        results.team_name,
        results.classified_position,
        results.points,
        stint_summary.race_pace_vs_field_s,
        stint_summary.race_pace_vs_session_best_s,
        stint_summary.mean_degradation_s_per_lap,
        telemetry.top_speed_kph,
        telemetry.clean_lap_full_throttle_share,
        telemetry.clean_lap_braking_share,
        telemetry.drs_open_share,
        coalesce(stint_summary.stints, 0) as stints,
        coalesce(stint_summary.representative_laps, 0) as representative_laps
    from results
    inner join sessions
        on results.session_key = sessions.session_key
    left outer join stint_summary
        on
            results.session_key = stint_summary.session_key
            and results.driver_number = stint_summary.driver_number
    left outer join telemetry
        on
            results.session_key = telemetry.session_key
            and results.driver_number = telemetry.driver_number

)

select * from final
