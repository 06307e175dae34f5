{#-
    The constructors' championship after every round: one row per (season, round_number, team_name) for every
    team that has scored or raced by that round. A driver's points count for the team he drove for in that
    session. Ties break on countback over both cars' Grand Prix finishes (wins, then second places, ...).
-#}
{%- set countback_places = range(1, 31) -%}
with

results as (

    select
        season,
        round_number,
        session_kind,
        team_name,
        classified_position,
        points
    from {{ ref('fct_session_results') }}
    where
        session_kind in ('race', 'sprint')
        and round_number is not null
        and team_name is not null

),

rounds as (

    select
        season,
        round_number,
        race_session_key
    from {{ ref('int_race_weekends_numbered') }}

),

team_rounds as (

    select
        season,
        round_number,
        team_name,
        {%- for place in countback_places %}
        count(case when session_kind = 'race' and classified_position = {{ place }} then 1 end)
            as race_finishes_p{{ place }},
        {%- endfor %}
        sum(points) as round_points
    from results
    group by season, round_number, team_name

),

first_rounds as (

    select
        season,
        team_name,
        min(round_number) as first_round_number
    from team_rounds
    group by season, team_name

),

team_round_grid as (

    select
        rounds.season,
        rounds.round_number,
        rounds.race_session_key,
        first_rounds.team_name
    from first_rounds
    inner join rounds
        on
            first_rounds.season = rounds.season
            and first_rounds.first_round_number <= rounds.round_number

),

cumulative as (

    select
        team_round_grid.season,
        team_round_grid.round_number,
        team_round_grid.race_session_key,
        team_round_grid.team_name,
        coalesce(team_rounds.round_points, 0) as round_points,
        {%- for place in countback_places %}
        sum(coalesce(team_rounds.race_finishes_p{{ place }}, 0)) over (
            partition by team_round_grid.season, team_round_grid.team_name
            order by team_round_grid.round_number
            rows between unbounded preceding and current row
        ) as finishes_p{{ place }},
        {%- endfor %}
        sum(coalesce(team_rounds.round_points, 0)) over (
            partition by team_round_grid.season, team_round_grid.team_name
            order by team_round_grid.round_number
            rows between unbounded preceding and current row
        ) as points
    from team_round_grid
    left outer join team_rounds
        on
            team_round_grid.season = team_rounds.season
            and team_round_grid.round_number = team_rounds.round_number
            and team_round_grid.team_name = team_rounds.team_name

),

ranked as (

    select
        season,
        round_number as round,  -- noqa: RF04
        race_session_key,
        team_name,
        round_points,
        points,
        cast(finishes_p1 as {{ dbt.type_int() }}) as wins,
        cast({{ championship_rank(['season', 'round_number'], countback_places) }} as {{ dbt.type_int() }})
            as position,  -- noqa: RF04
        -- the season's latest round in the table: the standings as they stand
        round_number = max(round_number) over (partition by season) as is_latest_round
    from cumulative

)

select * from ranked
