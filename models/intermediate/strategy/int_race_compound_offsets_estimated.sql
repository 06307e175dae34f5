{#-
    One row per race (or sprint) and dry compound with fitted stints: the compound's pace offset against the
    race's reference compound (the one with the most fitted stints, ties to the softer), in seconds per lap on
    new tyres at equal fuel.
    A driver's two stints differ by the offset of their compounds plus the fuel effect times the laps between
    them (int_race_stint_pairs_compared); with the race's fuel effect taken out, the mean over the pairs that
    join the two compounds is the offset. A compound no driver paired with the reference is reached through the
    third compound. Null when no pair joins it; offset_stint_pairs says how many pairs the figure rests on.
-#}
with

stints as (

    select
        session_key,
        compound,
        count(*) as fitted_stints
    from {{ ref('int_race_stints_fitted') }}
    group by session_key, compound

),

pairs as (

    select
        session_key,
        earlier_compound,
        later_compound,
        level_difference_s,
        age_minus_lap_difference
    from {{ ref('int_race_stint_pairs_compared') }}
    where earlier_compound != later_compound

),

fuel as (

    select
        session_key,
        fuel_effect_s_per_lap
    from {{ ref('int_race_fuel_effects_estimated') }}

),

compound_order as (

    select
        session_key,
        compound,
        row_number() over (
            partition by session_key
            order by fitted_stints desc, case compound when 'SOFT' then 1 when 'MEDIUM' then 2 else 3 end
        ) as reference_rank
    from stints

),

reference_compounds as (

    select
        session_key,
        compound as reference_compound
    from compound_order
    where reference_rank = 1

),

pair_offsets as (

    -- offset(later) - offset(earlier) for each pair, and the same pair read the other way round
    select
        pairs.session_key,
        pairs.earlier_compound as from_compound,
        pairs.later_compound as to_compound,
        pairs.level_difference_s - fuel.fuel_effect_s_per_lap * pairs.age_minus_lap_difference as offset_s
    from pairs
    inner join fuel
        on pairs.session_key = fuel.session_key

    union all

    select
        pairs.session_key,
        pairs.later_compound as from_compound,
        pairs.earlier_compound as to_compound,
        -1 * (pairs.level_difference_s - fuel.fuel_effect_s_per_lap * pairs.age_minus_lap_difference) as offset_s
    from pairs
    inner join fuel
        on pairs.session_key = fuel.session_key

),

compound_steps as (

    select
        session_key,
        from_compound,
        to_compound,
        avg(offset_s) as offset_s,
        count(*) as stint_pairs
    from pair_offsets
    group by session_key, from_compound, to_compound

),

direct as (

    select
        compound_steps.session_key,
        compound_steps.to_compound as compound,
        compound_steps.offset_s,
        compound_steps.stint_pairs
    from compound_steps
    inner join reference_compounds
        on
            compound_steps.session_key = reference_compounds.session_key
            and compound_steps.from_compound = reference_compounds.reference_compound

),

through_third as (

    select
        direct.session_key,
        compound_steps.to_compound as compound,
        direct.offset_s + compound_steps.offset_s as offset_s,
        {{ dbt_least(['direct.stint_pairs', 'compound_steps.stint_pairs']) }} as stint_pairs
    from direct
    inner join compound_steps
        on
            direct.session_key = compound_steps.session_key
            and direct.compound = compound_steps.from_compound
    inner join reference_compounds
        on
            compound_steps.session_key = reference_compounds.session_key
            and compound_steps.to_compound != reference_compounds.reference_compound

),

final as (

    select
        stints.session_key,
        stints.compound,
        reference_compounds.reference_compound,
        case
            when stints.compound = reference_compounds.reference_compound then 0.0
            else coalesce(direct.offset_s, through_third.offset_s)
        end as pace_offset_s,
        case
            when stints.compound = reference_compounds.reference_compound then null
            else coalesce(direct.stint_pairs, through_third.stint_pairs, 0)
        end as offset_stint_pairs
    from stints
    inner join reference_compounds
        on stints.session_key = reference_compounds.session_key
    left outer join direct
        on
            stints.session_key = direct.session_key
            and stints.compound = direct.compound
    left outer join through_third
        on
            stints.session_key = through_third.session_key
            and stints.compound = through_third.compound

)

select * from final
