{#-
    The tyre and fuel model: one row per race (or sprint) and dry compound with fitted stints. A lap's modelled
    time is driver_base_s (intermediate.int_race_driver_paces_fitted) + pace_offset_s + degradation_s_per_lap x
    tyre age - fuel_effect_s_per_lap x lap number, fitted on representative laps (clean, green, dry: wet and
    caution laps out). Degradation is the compound's within-stint slope (wear less the fuel gain) plus the
    fuel effect estimated from the whole race (int_race_fuel_effects_estimated); the offset is against the
    race's most sampled compound (the most fitted stints). Fit quality: the residual spread and R squared of the
    modelled lap times against the representative laps of the compound. is_modelled: a compound the strategy
    search, the backtest and make whatif may price: var strategy_min_compound_stints fitted stints at least, a
    known offset, and wear that does not make tyres faster with age (a negative degradation is noise from too
    few laps, and would send the search to absurd stints).
-#}
with

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        compound,
        representative_laps,
        compound_within_stint_slope_s_per_lap
    from {{ ref('int_race_stints_fitted') }}

),

offsets as (

    select
        session_key,
        compound,
        reference_compound,
        pace_offset_s,
        offset_stint_pairs
    from {{ ref('int_race_compound_offsets_estimated') }}

),

fuel as (

    select
        session_key,
        fuel_effect_s_per_lap,
        fuel_effect_source,
        race_stint_pairs
    from {{ ref('int_race_fuel_effects_estimated') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_base_s
    from {{ ref('int_race_driver_paces_fitted') }}

),

laps as (

    select
        session_key,
        driver_number,
        stint_number,
        lap_number,
        tyre_age_laps,
        lap_duration_s
    from {{ ref('int_laps_representative') }}
    where is_representative_lap

),

sessions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_kind,
        circuit_key,
        circuit_short_name
    from {{ ref('dim_sessions') }}

),

compounds as (

    select
        session_key,
        compound,
        count(*) as fitted_stints,
        cast(sum(representative_laps) as {{ dbt.type_bigint() }}) as representative_laps,
        max(compound_within_stint_slope_s_per_lap) as within_stint_slope_s_per_lap
    from stints
    group by session_key, compound

),

laps_modelled as (

    select
        stints.session_key,
        stints.compound,
        laps.lap_duration_s,
        {{ modelled_lap_time(
            'drivers.driver_base_s',
            'offsets.pace_offset_s',
            'stints.compound_within_stint_slope_s_per_lap + fuel.fuel_effect_s_per_lap',
            'laps.tyre_age_laps',
            'fuel.fuel_effect_s_per_lap',
            'laps.lap_number',
        ) }} as modelled_duration_s
    from laps
    inner join stints
        on
            laps.session_key = stints.session_key
            and laps.driver_number = stints.driver_number
            and laps.stint_number = stints.stint_number
    inner join offsets
        on
            stints.session_key = offsets.session_key
            and stints.compound = offsets.compound
    inner join fuel
        on stints.session_key = fuel.session_key
    inner join drivers
        on
            stints.session_key = drivers.session_key
            and stints.driver_number = drivers.driver_number

),

fit_quality as (

    select
        session_key,
        compound,
        count(*) as modelled_laps,
        sqrt(avg((lap_duration_s - modelled_duration_s) * (lap_duration_s - modelled_duration_s)))
            as residual_sd_s,
        1 - sum((lap_duration_s - modelled_duration_s) * (lap_duration_s - modelled_duration_s))
        / nullif(var_pop(lap_duration_s) * count(*), 0) as r_squared
    from laps_modelled
    where modelled_duration_s is not null
    group by session_key, compound

),

final as (

    select
        compounds.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.round_number,
        sessions.session_kind,
        sessions.circuit_key,
        sessions.circuit_short_name,
        compounds.compound,
        compounds.fitted_stints,
        compounds.representative_laps,
        compounds.within_stint_slope_s_per_lap,
        fuel.fuel_effect_s_per_lap,
        fuel.fuel_effect_source,
        fuel.race_stint_pairs as fuel_stint_pairs,
        offsets.reference_compound,
        offsets.pace_offset_s,
        offsets.offset_stint_pairs,
        fit_quality.modelled_laps,
        fit_quality.residual_sd_s,
        fit_quality.r_squared,
        compounds.within_stint_slope_s_per_lap + fuel.fuel_effect_s_per_lap as degradation_s_per_lap,
        coalesce(
            compounds.fitted_stints >= {{ var('strategy_min_compound_stints') }}
            and offsets.pace_offset_s is not null
            and compounds.within_stint_slope_s_per_lap + fuel.fuel_effect_s_per_lap >= 0,
            false
        ) as is_modelled
    from compounds
    inner join sessions
        on compounds.session_key = sessions.session_key
    inner join fuel
        on compounds.session_key = fuel.session_key
    left outer join offsets
        on
            compounds.session_key = offsets.session_key
            and compounds.compound = offsets.compound
    left outer join fit_quality
        on
            compounds.session_key = fit_quality.session_key
            and compounds.compound = fit_quality.compound

)

select * from final
