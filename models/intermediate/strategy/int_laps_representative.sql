{#-
    Every timed lap, flagged when it shows the car's pace on its tyres: the one definition of a representative
    lap, read by the tyre and fuel model (the strategy area), the pit-loss reference and features.stint_features.
    A representative lap is clean (int_laps_enriched: timed, not lap 1, no pit entry or exit, green from start to
    finish), also ends under green (the next lap starts green: the lap a safety car is called in is slow), runs
    on tyres that suit the weather (slicks when dry, intermediates or wets in rain) and is within
    var representative_lap_max_pct_of_fastest (107 %) of the session's fastest clean lap (drops practice
    cool-down laps, which OpenF1 does not flag).
-#}
{%- set max_pct_of_fastest = var('representative_lap_max_pct_of_fastest') -%}
with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        stint_number,
        compound,
        tyre_age_laps,
        lap_duration_s,
        track_status,
        is_raining,
        is_clean_lap
    from {{ ref('int_laps_enriched') }}

),

laps_flagged as (

    select
        session_key,
        driver_number,
        lap_number,
        stint_number,
        compound,
        tyre_age_laps,
        lap_duration_s,
        is_clean_lap
        and coalesce(
            lead(track_status) over (
                partition by session_key, driver_number
                order by lap_number
            ),
            'green'
        ) = 'green'
        and coalesce(is_raining, false) = coalesce(compound in ('INTERMEDIATE', 'WET'), false)
        and lap_duration_s <= {{ max_pct_of_fastest }} / 100.0 * min(
            case when is_clean_lap then lap_duration_s end
        ) over (partition by session_key)
            as is_representative_lap
    from laps

),

final as (

    select
        session_key,
        driver_number,
        lap_number,
        stint_number,
        compound,
        tyre_age_laps,
        lap_duration_s,
        coalesce(is_representative_lap, false) as is_representative_lap
    from laps_flagged
    where lap_duration_s is not null

)

select * from final
