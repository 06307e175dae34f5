{#-
    One row per race (or sprint) and driver with fitted stints: the driver's base lap time in the tyre and fuel
    model, so that a lap's modelled time is
        driver_base_s + pace_offset_s[compound] + degradation_s_per_lap[compound] x tyre age
        - fuel_effect_s_per_lap x lap number.
    It is each fitted stint's wear-free level less its compound's offset and the fuel effect times its
    age_minus_lap, averaged over the driver's stints (weighted by their representative laps).
-#}
with

stints as (

    select
        session_key,
        driver_number,
        compound,
        representative_laps,
        age_minus_lap,
        wear_free_level_s
    from {{ ref('int_race_stints_fitted') }}

),

offsets as (

    select
        session_key,
        compound,
        pace_offset_s
    from {{ ref('int_race_compound_offsets_estimated') }}
    where pace_offset_s is not null

),

fuel as (

    select
        session_key,
        fuel_effect_s_per_lap
    from {{ ref('int_race_fuel_effects_estimated') }}

),

stint_bases as (

    select
        stints.session_key,
        stints.driver_number,
        stints.representative_laps,
        stints.wear_free_level_s - offsets.pace_offset_s - fuel.fuel_effect_s_per_lap * stints.age_minus_lap
            as base_s
    from stints
    inner join offsets
        on
            stints.session_key = offsets.session_key
            and stints.compound = offsets.compound
    inner join fuel
        on stints.session_key = fuel.session_key

),

final as (

    select
        session_key,
        driver_number,
        count(*) as fitted_stints,
        cast(sum(representative_laps) as {{ dbt.type_bigint() }}) as representative_laps,
        sum(base_s * representative_laps) / sum(representative_laps) as driver_base_s
    from stint_bases
    group by session_key, driver_number

)

select * from final
