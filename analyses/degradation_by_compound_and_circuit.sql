{#-
    How fast does each tyre compound wear at each circuit? One row per (season, circuit, compound) over the
    Grand Prix race stints that have a degradation slope: seconds a lap lost per lap of tyre age, fuel-corrected
    (tyre_degradation; the fuel effect is the dbt var fuel_effect_s_per_lap).
-#}
with

tyre_degradation as (

    select
        session_key,
        compound,
        clean_laps,
        degradation_s_per_lap
    from {{ ref('tyre_degradation') }}
    where
        degradation_s_per_lap is not null
        -- a stint whose compound OpenF1 did not give says nothing about a compound
        and compound is not null

),

sessions as (

    select
        session_key,
        season,
        circuit_key,
        circuit_short_name
    from {{ ref('dim_sessions') }}
    where session_kind = 'race'

),

race_stints as (

    select
        sessions.season,
        sessions.circuit_key,
        sessions.circuit_short_name,
        tyre_degradation.compound,
        tyre_degradation.clean_laps,
        tyre_degradation.degradation_s_per_lap
    from tyre_degradation
    inner join sessions
        on tyre_degradation.session_key = sessions.session_key

),

by_compound as (

    select
        season,
        circuit_key,
        circuit_short_name,
        compound,
        count(*) as stints,
        sum(clean_laps) as clean_laps,
        median(degradation_s_per_lap) as median_degradation_s_per_lap,
        avg(degradation_s_per_lap) as mean_degradation_s_per_lap
    from race_stints
    group by season, circuit_key, circuit_short_name, compound

),

final as (

    select
        season,
        circuit_short_name,
        compound,
        stints,
        clean_laps,
        round(median_degradation_s_per_lap, 4) as median_degradation_s_per_lap,
        round(mean_degradation_s_per_lap, 4) as mean_degradation_s_per_lap
    from by_compound

)

select * from final
order by season asc, circuit_short_name asc, median_degradation_s_per_lap desc, compound asc
