{#-
    One row per (session, driver, stint) of a race: how fast the tyres lost pace. The slope is the least-squares
    slope of fuel-corrected lap time on tyre age over the stint's clean laps: each lap is credited the time the
    car gained by burning fuel since lap 1 (var fuel_effect_s_per_lap, 0.06 s a lap by default: about 1.7 kg of fuel a lap at 0.035 s per kg), so the slope
    shows the tyre, not the lighter car. Null with fewer than var min_degradation_laps (5) clean laps.
-#}
{%- set fuel_effect = var('fuel_effect_s_per_lap', 0.06) -%}
{%- set min_laps = var('min_degradation_laps', 5) -%}
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
        stint_number,
        compound,
        tyre_age_laps,
        lap_duration_s
    from {{ ref('fct_laps') }}
    where
        session_type = 'Race'
        and is_clean_lap
        and stint_number is not null
        and tyre_age_laps is not null

),

corrected as (

    select
        *,
        lap_duration_s + {{ fuel_effect }} * (lap_number - 1) as fuel_corrected_duration_s
    from laps

),

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        max(meeting_key) as meeting_key,
        max(season) as season,
        max(driver_id) as driver_id,
        max(driver_code) as driver_code,
        max(team_name) as team_name,
        max(compound) as compound,
        count(*) as clean_laps,
        min(tyre_age_laps) as first_tyre_age_laps,
        max(tyre_age_laps) as last_tyre_age_laps,
        avg(lap_duration_s) as mean_lap_duration_s,
        avg(fuel_corrected_duration_s) as mean_fuel_corrected_duration_s,
        covar_pop(fuel_corrected_duration_s, tyre_age_laps) as age_time_covariance,
        var_pop(tyre_age_laps) as age_variance
    from corrected
    group by session_key, driver_number, stint_number

),

final as (

    select
        session_key,
        meeting_key,
        season,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        stint_number,
        compound,
        clean_laps,
        first_tyre_age_laps,
        last_tyre_age_laps,
        mean_lap_duration_s,
        mean_fuel_corrected_duration_s,
        case
            when clean_laps >= {{ min_laps }} and age_variance > 0 then age_time_covariance / age_variance
        end as degradation_s_per_lap
    from stints

)

select * from final
