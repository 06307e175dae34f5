{#-
    One row per (session, driver, stint) of the sessions with laps. Degradation: the least-squares slope of
    fuel-corrected lap time on tyre age over the stint's representative laps (intermediate/strategy/
    int_laps_representative: clean, ending under green, tyres that suit the weather, within 107 % of the
    session's fastest clean lap), the same macros/degradation.sql as marts.tyre_degradation. Fuel correction
    (races and sprints only; in practice the fuel load is unknown): lap time + the race's estimated fuel effect
    (int_race_fuel_effects_estimated, the one the strategy area's tyre model uses) x (lap_number - 1).
-#}
with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        stint_number,
        tyre_age_laps,
        lap_duration_s,
        is_representative_lap
    from {{ ref('int_laps_representative') }}

),

fuel as (

    select
        session_key,
        fuel_effect_s_per_lap
    from {{ ref('int_race_fuel_effects_estimated') }}

),

stints as (

    select
        session_key,
        meeting_key,
        driver_number,
        driver_id,
        team_name,
        stint_number,
        first_lap_number,
        last_lap_number,
        compound,
        tyre_age_at_start_laps,
        stint_length_laps
    from {{ ref('fct_stints') }}

),

sessions as (

    select
        session_key,
        season,
        round_number,
        session_kind,
        started_at
    from {{ ref('dim_sessions') }}

),

laps_flagged as (

    select
        laps.session_key,
        laps.driver_number,
        laps.lap_number,
        laps.stint_number,
        laps.tyre_age_laps,
        laps.lap_duration_s,
        case
            when sessions.session_kind in ('race', 'sprint')
                then {{ fuel_corrected_lap_duration(
                    'laps.lap_duration_s', 'laps.lap_number', 'coalesce(fuel.fuel_effect_s_per_lap, 0)'
                ) }}
            else laps.lap_duration_s
        end as fuel_corrected_duration_s,
        laps.is_representative_lap
    from laps
    inner join sessions
        on laps.session_key = sessions.session_key
    left outer join fuel
        on laps.session_key = fuel.session_key

),

representative_laps as (

    select *
    from laps_flagged
    where
        is_representative_lap
        and stint_number is not null
        and tyre_age_laps is not null

),

session_best as (

    select
        session_key,
        min(lap_duration_s) as best_lap_duration_s
    from representative_laps
    group by session_key

),

stint_fits as (

    select
        session_key,
        driver_number,
        stint_number,
        count(*) as representative_laps,
        min(lap_duration_s) as best_lap_duration_s,
        avg(lap_duration_s) as mean_lap_duration_s,
        avg(fuel_corrected_duration_s) as mean_fuel_corrected_duration_s,
        avg({{ dbt.safe_cast('tyre_age_laps', type_double()) }}) as mean_tyre_age_laps,
        {{ degradation_slope('fuel_corrected_duration_s', 'tyre_age_laps') }} as degradation_s_per_lap
    from representative_laps
    group by session_key, driver_number, stint_number

),

stint_fits_sloped as (

    select
        stints.session_key,
        stints.meeting_key,
        sessions.season,
        sessions.round_number,
        sessions.session_kind,
        sessions.started_at as session_started_at,
        stints.driver_number,
        stints.driver_id,
        stints.team_name,
        stints.stint_number,
        stints.compound,
        stints.first_lap_number,
        stints.last_lap_number,
        stints.stint_length_laps,
        stints.tyre_age_at_start_laps,
        stint_fits.degradation_s_per_lap,
        stint_fits.mean_tyre_age_laps,
        stint_fits.best_lap_duration_s,
        stint_fits.mean_lap_duration_s,
        stint_fits.mean_fuel_corrected_duration_s,
        stints.tyre_age_at_start_laps + coalesce(stints.stint_length_laps, 0) as tyre_age_at_end_laps,
        stint_fits.mean_lap_duration_s - session_best.best_lap_duration_s as mean_pace_vs_session_best_s,
        stint_fits.best_lap_duration_s - session_best.best_lap_duration_s as best_pace_vs_session_best_s,
        coalesce(stint_fits.representative_laps, 0) as representative_laps
    from stints
    inner join sessions
        on stints.session_key = sessions.session_key
    left outer join stint_fits
        on
            stints.session_key = stint_fits.session_key
            and stints.driver_number = stint_fits.driver_number
            and stints.stint_number = stint_fits.stint_number
    left outer join session_best
        on stints.session_key = session_best.session_key

),

stint_pace as (

    select
        *,
        -- the session's typical wear on the compound, to put stints on different tyre ages on one footing
        avg(degradation_s_per_lap) over (partition by session_key, compound) as compound_degradation_s_per_lap
    from stint_fits_sloped

),

stint_pace_corrected as (

    select
        *,
        mean_fuel_corrected_duration_s
        - coalesce(compound_degradation_s_per_lap, 0) * mean_tyre_age_laps as tyre_corrected_duration_s
    from stint_pace

),

final as (

    select
        *,
        -- against the lap-weighted field on the same compound in the session (compound offsets cancel)
        tyre_corrected_duration_s
        - sum(tyre_corrected_duration_s * representative_laps) over (partition by session_key, compound)
        / nullif(sum(case when tyre_corrected_duration_s is not null then representative_laps end) over (
            partition by session_key, compound
        ), 0) as pace_vs_field_s
    from stint_pace_corrected

)

select * from final
