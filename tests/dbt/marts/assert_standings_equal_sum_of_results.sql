{#- Standings points after a round equal the driver's race and sprint points to date in fct_session_results. -#}
with

standings as (

    select
        season,
        round,
        driver_id,
        points
    from {{ ref('driver_standings') }}

),

results as (

    select
        season,
        round_number,
        driver_id,
        points
    from {{ ref('fct_session_results') }}
    where
        session_kind in ('race', 'sprint')
        and round_number is not null

),

to_date as (

    select
        standings.season,
        standings.round,
        standings.driver_id,
        standings.points,
        coalesce(sum(results.points), 0) as results_points
    from standings
    left outer join results
        on
            standings.season = results.season
            and standings.driver_id = results.driver_id
            and standings.round >= results.round_number
    group by standings.season, standings.round, standings.driver_id, standings.points

)

select *
from to_date
where points != results_points
