{#-
    One row per race and sprint: the fuel effect (lap time gained per lap of fuel burnt, with whatever else
    makes the whole field faster as the race goes on, such as the track rubbering in), estimated from the race.
    Within one stint fuel and wear cannot be told apart; across a driver's stints they can: the difference of two
    stints' wear-free levels is the compounds' offset plus the fuel effect times the laps between them
    (int_race_stint_pairs_compared). Pairs on the same two compounds share the offset, so the fuel effect is
    the least-squares slope of level difference on age_minus_lap difference within those groups, pooled.
    Source: 'race' when the race has var fuel_min_stint_pairs such pairs with spread in lap distance,
    else 'season' (the same fit pooled over the season's races), else 'assumed' (var fuel_effect_s_per_lap).
-#}
{%- set min_pairs = var('fuel_min_stint_pairs') -%}
with

sessions as (

    select
        session_key,
        season
    from {{ ref('stg_openf1__sessions') }}
    where session_kind in ('race', 'sprint')

),

pairs as (

    select
        session_key,
        earlier_compound,
        later_compound,
        level_difference_s,
        -- the fuel gain is negative in age_minus_lap: later stints start further into the race
        -1 * age_minus_lap_difference as laps_between
    from {{ ref('int_race_stint_pairs_compared') }}

),

compound_pair_groups as (

    select
        session_key,
        earlier_compound,
        later_compound,
        count(*) as stint_pairs,
        {{ comoment('level_difference_s', 'laps_between') }} as comoment,
        {{ comoment('laps_between', 'laps_between') }} as moment
    from pairs
    group by session_key, earlier_compound, later_compound
    having count(*) >= 2

),

by_race as (

    select
        session_key,
        sum(stint_pairs) as stint_pairs,
        sum(comoment) as comoment,
        sum(moment) as moment
    from compound_pair_groups
    group by session_key

),

by_season as (

    select
        sessions.season,
        sum(by_race.stint_pairs) as stint_pairs,
        sum(by_race.comoment) as comoment,
        sum(by_race.moment) as moment
    from by_race
    inner join sessions
        on by_race.session_key = sessions.session_key
    group by sessions.season

),

estimates as (

    select
        sessions.session_key,
        sessions.season,
        cast(coalesce(by_race.stint_pairs, 0) as {{ dbt.type_bigint() }}) as race_stint_pairs,
        case
            when by_race.stint_pairs >= {{ min_pairs }} and by_race.moment > 0
                then -1 * by_race.comoment / by_race.moment
        end as race_estimate,
        case
            when by_season.stint_pairs >= {{ min_pairs }} and by_season.moment > 0
                then -1 * by_season.comoment / by_season.moment
        end as season_estimate
    from sessions
    left outer join by_race
        on sessions.session_key = by_race.session_key
    left outer join by_season
        on sessions.season = by_season.season

),

final as (

    select
        session_key,
        season,
        race_stint_pairs,
        {{ dbt.safe_cast(
            'coalesce(race_estimate, season_estimate, ' ~ var('fuel_effect_s_per_lap') ~ ')', type_double()
        ) }} as fuel_effect_s_per_lap,
        case
            when race_estimate is not null then 'race'
            when season_estimate is not null then 'season'
            else 'assumed'
        end as fuel_effect_source
    from estimates

)

select * from final
