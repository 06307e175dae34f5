{#-
    The drivers' championship after every round: one row per (season, round_number, driver_id) for every
    driver who has taken part in a race or sprint of the season by that round. Points are the sum of
    fct_session_results to date; ties break on countback (most Grand Prix wins, then second places, ...).
    latest_team_name is the team of the driver's latest round with one, up to this round (team_name is null in
    a round he missed); is_latest_round marks the season's latest round, the standings as they stand.
-#}
{%- set countback_places = range(1, 31) -%}
with

results as (

    select
        season,
        round_number,
        session_kind,
        driver_id,
        driver_code,
        full_name,
        team_name,
        classified_position,
        points
    from {{ ref('fct_session_results') }}
    where
        session_kind in ('race', 'sprint')
        and round_number is not null

),

rounds as (

    select
        season,
        round_number,
        race_session_key
    from {{ ref('int_race_weekends_numbered') }}

),

driver_rounds as (

    select
        season,
        round_number,
        driver_id,
        max(driver_code) as driver_code,
        max(full_name) as full_name,
        max(team_name) as team_name,
        sum(points) as round_points,
        {%- for place in countback_places %}
        count(case when session_kind = 'race' and classified_position = {{ place }} then 1 end)
            as race_finishes_p{{ place }},
        {%- endfor %}
        max(case when session_kind = 'race' and classified_position = 1 then 1 else 0 end) as is_race_win
    from results
    group by season, round_number, driver_id

),

first_rounds as (

    select
        season,
        driver_id,
        min(round_number) as first_round_number
    from driver_rounds
    group by season, driver_id

),

driver_round_grid as (

    select
        rounds.season,
        rounds.round_number,
        rounds.race_session_key,
        first_rounds.driver_id
    from first_rounds
    inner join rounds
        on
            first_rounds.season = rounds.season
            and first_rounds.first_round_number <= rounds.round_number

),

cumulative as (

    select
        driver_round_grid.season,
        driver_round_grid.round_number,
        driver_round_grid.race_session_key,
        driver_round_grid.driver_id,
        driver_rounds.team_name as round_team_name,
        coalesce(driver_rounds.round_points, 0) as round_points,
        sum(coalesce(driver_rounds.round_points, 0)) over (
            partition by driver_round_grid.season, driver_round_grid.driver_id
            order by driver_round_grid.round_number
            rows between unbounded preceding and current row
        ) as points,
        {%- for place in countback_places %}
        sum(coalesce(driver_rounds.race_finishes_p{{ place }}, 0)) over (
            partition by driver_round_grid.season, driver_round_grid.driver_id
            order by driver_round_grid.round_number
            rows between unbounded preceding and current row
        ) as finishes_p{{ place }},
        {%- endfor %}
        max(driver_rounds.driver_code) over (
            partition by driver_round_grid.season, driver_round_grid.driver_id
        ) as driver_code,
        max(driver_rounds.full_name) over (
            partition by driver_round_grid.season, driver_round_grid.driver_id
        ) as full_name,
        -- the latest round up to this one in which he raced for a team (rounds are unique per driver and season)
        max(case when driver_rounds.team_name != '' then driver_round_grid.round_number end) over (
            partition by driver_round_grid.season, driver_round_grid.driver_id
            order by driver_round_grid.round_number
            rows between unbounded preceding and current row
        ) as latest_team_round_number,
        max(driver_round_grid.round_number) over (partition by driver_round_grid.season) as latest_round_number
    from driver_round_grid
    left outer join driver_rounds
        on
            driver_round_grid.season = driver_rounds.season
            and driver_round_grid.round_number = driver_rounds.round_number
            and driver_round_grid.driver_id = driver_rounds.driver_id

),

ranked as (

    select
        season,
        round_number,
        race_session_key,
        driver_id,
        driver_code,
        full_name,
        round_team_name,
        round_points,
        points,
        cast(finishes_p1 as {{ dbt.type_int() }}) as wins,
        {{ championship_rank(['season', 'round_number'], countback_places) }} as position,  -- noqa: RF04
        latest_team_round_number,
        latest_round_number
    from cumulative

),

with_latest_team as (

    select
        ranked.*,
        latest_team_rounds.team_name as latest_team_name
    from ranked
    left outer join driver_rounds as latest_team_rounds
        on
            ranked.season = latest_team_rounds.season
            and ranked.latest_team_round_number = latest_team_rounds.round_number
            and ranked.driver_id = latest_team_rounds.driver_id

),

final as (

    select
        season,
        round_number as round,  -- noqa: RF04
        race_session_key,
        driver_id,
        driver_code,
        full_name,
        round_team_name as team_name,
        latest_team_name,
        round_points,
        points,
        wins,
        cast(position as {{ dbt.type_int() }}) as position,  -- noqa: RF04
        round_number = latest_round_number as is_latest_round
    from with_latest_team

)

select * from final
