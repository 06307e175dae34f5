{#-
    The pairs of fastest laps the report compares, one row per (session, reference driver, compared driver): the
    session's three fastest laps with each other (fct_fastest_lap_telemetry.session_lap_rank 1-3), and each pair
    of teammates; the reference is the faster lap (the lower session_lap_rank). The one definition of the pairs,
    read by telemetry_lap_comparisons and telemetry_lap_deltas.
-#}
with

fastest_lap_telemetry as (

    select
        session_key,
        meeting_key,
        season,
        session_kind,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        lap_number,
        lap_duration_s,
        session_lap_rank,
        distance_source
    from {{ ref('fct_fastest_lap_telemetry') }}
    where sample_index = 0

),

pairs as (

    select
        reference_laps.session_key,
        reference_laps.meeting_key,
        reference_laps.season,
        reference_laps.session_kind,
        reference_laps.driver_number as reference_driver_number,
        reference_laps.driver_id as reference_driver_id,
        reference_laps.driver_code as reference_driver_code,
        reference_laps.team_name as reference_team_name,
        reference_laps.lap_number as reference_lap_number,
        reference_laps.lap_duration_s as reference_lap_duration_s,
        reference_laps.session_lap_rank as reference_session_lap_rank,
        compared_laps.driver_number as compared_driver_number,
        compared_laps.driver_id as compared_driver_id,
        compared_laps.driver_code as compared_driver_code,
        compared_laps.team_name as compared_team_name,
        compared_laps.lap_number as compared_lap_number,
        compared_laps.lap_duration_s as compared_lap_duration_s,
        compared_laps.session_lap_rank as compared_session_lap_rank,
        compared_laps.lap_duration_s - reference_laps.lap_duration_s as lap_time_difference_s,
        compared_laps.session_lap_rank <= 3 as is_top_three_pair,
        coalesce(reference_laps.team_name = compared_laps.team_name, false) as is_teammate_pair,
        case
            when reference_laps.distance_source = compared_laps.distance_source then reference_laps.distance_source
            else 'mixed'
        end as distance_source
    from fastest_lap_telemetry as reference_laps
    inner join fastest_lap_telemetry as compared_laps
        on
            reference_laps.session_key = compared_laps.session_key
            and reference_laps.session_lap_rank < compared_laps.session_lap_rank
    where
        compared_laps.session_lap_rank <= 3
        or reference_laps.team_name = compared_laps.team_name

)

select * from pairs
