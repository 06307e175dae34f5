{#-
    One row per (session, driver, stint) of a race: how fast the tyres lost pace. The slope is the least-squares
    slope of fuel-corrected lap time on tyre age over the stint's clean laps: each lap is credited the time the
    car gained by burning fuel since lap 1 (the race's own estimate: marts.strategy_tyre_models' fuel effect,
    from intermediate/strategy/int_race_fuel_effects_estimated), so the slope shows the tyre, not the
    lighter car. Null with fewer than var min_degradation_laps clean laps (the definition: macros/degradation.sql).
-#}
with

races as (

    select session_key
    from {{ ref('dim_sessions') }}
    where session_kind in ('race', 'sprint')

),

race_laps as (

    select
        session_key,
        meeting_key,
        season,
        session_date,
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
        is_clean_lap
        and stint_number is not null
        and tyre_age_laps is not null

),

fuel as (

    select
        session_key,
        fuel_effect_s_per_lap
    from {{ ref('int_race_fuel_effects_estimated') }}

),

laps as (

    select
        race_laps.*,
        fuel.fuel_effect_s_per_lap
    from race_laps
    inner join races
        on race_laps.session_key = races.session_key
    inner join fuel
        on race_laps.session_key = fuel.session_key

),

corrected as (

    select
        *,
        {{ fuel_corrected_lap_duration('lap_duration_s', 'lap_number', 'fuel_effect_s_per_lap') }}
            as fuel_corrected_duration_s
    from laps

),

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        max(meeting_key) as meeting_key,
        max(season) as season,
        max(session_date) as session_date,
        max(driver_id) as driver_id,
        max(driver_code) as driver_code,
        max(team_name) as team_name,
        max(compound) as compound,
        count(*) as clean_laps,
        min(tyre_age_laps) as first_tyre_age_laps,
        max(tyre_age_laps) as last_tyre_age_laps,
        avg(lap_duration_s) as mean_lap_duration_s,
        avg(fuel_corrected_duration_s) as mean_fuel_corrected_duration_s,
        {{ degradation_slope('fuel_corrected_duration_s', 'tyre_age_laps') }} as degradation_s_per_lap
    from corrected
    group by session_key, driver_number, stint_number

),

final as (

    select
        session_key,
        meeting_key,
        season,
        session_date,
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
        degradation_s_per_lap
    from stints

)

select * from final
