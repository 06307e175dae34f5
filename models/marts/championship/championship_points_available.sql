{#-
    Points still available after every round of the calendar, per championship: one row per (season, round,
    championship). The calendar is dim_meetings' rounds (every meeting with a Grand Prix not cancelled, run or
    still to come); a round offers its Grand Prix and, on a sprint weekend (a sprint not cancelled), its sprint.
    The most one entry can score in a session is read from the seed points_systems for the season: a driver
    the winner's points, a team its cars first, second, ... (var constructor_scoring_cars), in the distance band
    that pays most (full distance); plus the fastest-lap point in seasons that award it (one a race, so one
    for a team too). is_race_classified marks the rounds whose Grand Prix has a classification (run).
-#}
with

meetings as (

    select
        season,
        round_number,
        race_session_key,
        sprint_session_key
    from {{ ref('dim_meetings') }}
    where round_number is not null

),

points_systems as (

    select
        first_season,
        last_season,
        session_kind,
        min_completed_distance_pct,
        finishing_position,
        points
    from {{ ref('points_systems') }}

),

session_results as (

    select
        session_key,
        session_kind
    from {{ ref('fct_session_results') }}

),

classified_races as (

    select distinct session_key
    from session_results
    where session_kind = 'race'

),

championships as (

    select
        'drivers' as championship,
        1 as scoring_cars
    union all
    select
        'constructors' as championship,
        {{ var('constructor_scoring_cars') }} as scoring_cars

),

seasons as (

    select distinct season
    from meetings

),

band_maximums as (

    -- the most one entry scores in a session of each kind and distance band: its cars in the top places
    select
        seasons.season,
        championships.championship,
        points_systems.session_kind,
        points_systems.min_completed_distance_pct,
        sum(points_systems.points) as band_points
    from seasons
    cross join championships
    inner join points_systems
        on
            seasons.season between points_systems.first_season and points_systems.last_season
            and points_systems.session_kind in ('race', 'sprint')
            and championships.scoring_cars >= points_systems.finishing_position
    group by
        seasons.season,
        championships.championship,
        points_systems.session_kind,
        points_systems.min_completed_distance_pct

),

fastest_lap_bonuses as (

    -- one fastest lap a race: one bonus for a driver and for a team alike
    select
        seasons.season,
        max(points_systems.points) as fastest_lap_points
    from seasons
    inner join points_systems
        on
            seasons.season between points_systems.first_season and points_systems.last_season
            and points_systems.session_kind = 'fastest_lap'
    group by seasons.season

),

session_maximums as (

    select
        band_maximums.season,
        band_maximums.championship,
        max(case when band_maximums.session_kind = 'race' then band_maximums.band_points end)
        + coalesce(max(fastest_lap_bonuses.fastest_lap_points), 0) as race_points_max,
        coalesce(max(case when band_maximums.session_kind = 'sprint' then band_maximums.band_points end), 0)
            as sprint_points_max
    from band_maximums
    left outer join fastest_lap_bonuses
        on band_maximums.season = fastest_lap_bonuses.season
    group by
        band_maximums.season,
        band_maximums.championship

),

round_maximums as (

    select
        meetings.season,
        meetings.round_number,
        meetings.race_session_key,
        session_maximums.championship,
        session_maximums.race_points_max,
        session_maximums.sprint_points_max,
        meetings.sprint_session_key is not null as is_sprint_weekend,
        classified_races.session_key is not null as is_race_classified,
        session_maximums.race_points_max
        + case
            when meetings.sprint_session_key is not null then session_maximums.sprint_points_max else 0
        end as round_points_max
    from meetings
    inner join session_maximums
        on meetings.season = session_maximums.season
    left outer join classified_races
        on meetings.race_session_key = classified_races.session_key

),

still_available as (

    -- what the rounds after this one offer (rounds are unique per season and championship)
    select
        season,
        round_number,
        race_session_key,
        championship,
        race_points_max,
        sprint_points_max,
        is_sprint_weekend,
        is_race_classified,
        round_points_max,
        count(*) over (
            partition by season, championship
            order by round_number
            rows between 1 following and unbounded following
        ) as remaining_rounds,
        count(case when is_sprint_weekend then 1 end) over (
            partition by season, championship
            order by round_number
            rows between 1 following and unbounded following
        ) as remaining_sprints,
        coalesce(
            sum(round_points_max) over (
                partition by season, championship
                order by round_number
                rows between 1 following and unbounded following
            ),
            0
        ) as points_still_available
    from round_maximums

),

final as (

    select
        season,
        round_number as round,  -- noqa: RF04
        race_session_key,
        championship,
        is_sprint_weekend,
        is_race_classified,
        cast(race_points_max as {{ type_double() }}) as race_points_max,
        cast(sprint_points_max as {{ type_double() }}) as sprint_points_max,
        cast(round_points_max as {{ type_double() }}) as round_points_max,
        cast(remaining_rounds as {{ dbt.type_int() }}) as remaining_rounds,
        cast(remaining_sprints as {{ dbt.type_int() }}) as remaining_sprints,
        cast(points_still_available as {{ type_double() }}) as points_still_available
    from still_available

)

select * from final
