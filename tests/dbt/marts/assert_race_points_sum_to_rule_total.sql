{#-
    The points of a race or sprint, without the fastest-lap bonus, must equal what the points system gives
    its classified positions: the seed's points for positions 1..n (n = classified drivers), in the
    session's season, kind and completed-distance band. The bonus is at most one point per race.
-#}
with

results as (

    select
        session_key,
        season,
        session_kind,
        classified_position,
        completed_distance_pct,
        points,
        fastest_lap_bonus_points
    from {{ ref('fct_session_results') }}
    where session_kind in ('race', 'sprint')

),

points_systems as (

    select
        first_season,
        last_season,
        session_kind,
        min_completed_distance_pct,
        max_completed_distance_pct,
        finishing_position,
        points
    from {{ ref('points_systems') }}

),

sessions as (

    select
        session_key,
        max(season) as season,
        max(session_kind) as session_kind,
        max(completed_distance_pct) as completed_distance_pct,
        count(classified_position) as classified_drivers,
        sum(points - coalesce(fastest_lap_bonus_points, 0)) as position_points,
        sum(coalesce(fastest_lap_bonus_points, 0)) as bonus_points
    from results
    group by session_key

),

expected as (

    select
        sessions.session_key,
        coalesce(sum(points_systems.points), 0) as expected_points
    from sessions
    left outer join points_systems
        on
            sessions.session_kind = points_systems.session_kind
            and sessions.season between points_systems.first_season and points_systems.last_season
            and sessions.completed_distance_pct >= points_systems.min_completed_distance_pct
            and sessions.completed_distance_pct < points_systems.max_completed_distance_pct
            and sessions.classified_drivers >= points_systems.finishing_position
    group by sessions.session_key

)

select
    sessions.session_key,
    sessions.position_points,
    expected.expected_points,
    sessions.bonus_points
from sessions
inner join expected
    on sessions.session_key = expected.session_key
where
    sessions.position_points != expected.expected_points
    or sessions.bonus_points > 1
