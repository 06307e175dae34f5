{#-
    One row per race stint with enough representative laps (var min_degradation_laps) on a dry compound: its
    lap times fitted as a line in tyre age. Within one stint fuel burn and tyre age move together, so the
    stint's slope is wear minus the fuel gain per lap; the compound's slope (compound_within_stint_slope) pools
    every stint of that compound in the race (the least-squares slope after each stint's own mean is removed).
    The wear-free level (mean lap time less that slope times the mean tyre age) differs between two stints of a
    driver only by the compounds' offset and the fuel gain over the laps between them, which
    int_race_fuel_effects_estimated reads. age_minus_lap: tyre age less lap number, constant in a stint.
-#}
with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        stint_number,
        compound,
        {{ dbt.safe_cast('tyre_age_laps', type_double()) }} as tyre_age_laps,
        lap_duration_s
    from {{ ref('int_laps_representative') }}
    where
        is_representative_lap
        and compound in ('SOFT', 'MEDIUM', 'HARD')
        and stint_number is not null
        and tyre_age_laps is not null

),

races as (

    select
        session_key,
        session_kind
    from {{ ref('stg_openf1__sessions') }}
    where session_kind in ('race', 'sprint')

),

race_laps as (

    select laps.*
    from laps
    inner join races
        on laps.session_key = races.session_key

),

stint_sums as (

    select
        session_key,
        driver_number,
        stint_number,
        compound,
        count(*) as representative_laps,
        avg(tyre_age_laps) as mean_tyre_age_laps,
        avg(lap_duration_s) as mean_lap_duration_s,
        avg(tyre_age_laps - lap_number) as age_minus_lap,
        {{ comoment('lap_duration_s', 'tyre_age_laps') }} as age_duration_comoment,
        {{ comoment('tyre_age_laps', 'tyre_age_laps') }} as age_moment
    from race_laps
    group by session_key, driver_number, stint_number, compound
    having count(*) >= {{ var('min_degradation_laps') }}

),

compound_slopes as (

    select
        session_key,
        compound,
        sum(age_duration_comoment) / nullif(sum(age_moment), 0) as compound_within_stint_slope_s_per_lap
    from stint_sums
    group by session_key, compound

),

final as (

    select
        stint_sums.session_key,
        stint_sums.driver_number,
        stint_sums.stint_number,
        stint_sums.compound,
        stint_sums.representative_laps,
        stint_sums.mean_tyre_age_laps,
        stint_sums.mean_lap_duration_s,
        stint_sums.age_minus_lap,
        stint_sums.age_duration_comoment,
        stint_sums.age_moment,
        compound_slopes.compound_within_stint_slope_s_per_lap,
        stint_sums.mean_lap_duration_s
        - compound_slopes.compound_within_stint_slope_s_per_lap * stint_sums.mean_tyre_age_laps
            as wear_free_level_s
    from stint_sums
    inner join compound_slopes
        on
            stint_sums.session_key = compound_slopes.session_key
            and stint_sums.compound = compound_slopes.compound

)

select * from final
