{#-
    One row per (season, driver_id): the season in numbers, with the final championship standing.
    Two facts about Grand Prix qualifying, kept apart: fastest_qualifier_count (he set the fastest time) and
    pole_positions (he started the race from the first grid slot, after penalties: starting_grid), which is the
    one F1's own records count (Belgium 2024: Verstappen fastest, Leclerc on pole).
    mean_positions_gained and race_pit_stops sum up driver_season_rounds' Grand Prix rows.
-#}
with

results as (

    select
        season,
        driver_id,
        driver_code,
        race_position,
        race_status,
        has_fastest_lap,
        weekend_points,
        sprint_points
    from {{ ref('grand_prix_results') }}

),

standings as (

    select
        season,
        round,
        driver_id,
        points,
        position
    from {{ ref('driver_standings') }}

),

qualifying as (

    select
        season,
        driver_id,
        avg(grid_position) as mean_grid_position,
        count(case when qualifying_position = 1 then 1 end) as fastest_qualifier_count,
        -- unknown (null), not 0, when OpenF1 has no starting grid for his qualifyings
        case when count(grid_position) > 0 then count(case when grid_position = 1 then 1 end) end as pole_positions
    from {{ ref('fct_qualifying') }}
    where session_kind = 'qualifying'
    group by season, driver_id

),

season_rounds as (

    select
        season,
        driver_id,
        avg(positions_gained) as mean_positions_gained,
        count(positions_gained) as races_with_positions_gained,
        cast(sum(pit_stops) as {{ dbt.type_bigint() }}) as race_pit_stops
    from {{ ref('driver_season_rounds') }}
    where session_kind = 'race'
    group by season, driver_id

),

final_standings as (

    select
        season,
        driver_id,
        points,
        position,
        row_number() over (partition by season, driver_id order by round desc) as recency_rank
    from standings

),

season_totals as (

    select
        season,
        driver_id,
        max(driver_code) as driver_code,
        count(race_status) as races_started,
        count(case when race_position = 1 then 1 end) as wins,
        count(case when race_position <= 3 then 1 end) as podiums,
        count(case when race_status in ('DNF', 'NC') then 1 end) as retirements,
        count(case when has_fastest_lap then 1 end) as fastest_laps,
        sum(sprint_points) as sprint_points,
        sum(weekend_points) as points,
        avg(race_position) as mean_race_position
    from results
    group by season, driver_id

),

final as (

    select
        season_totals.season,
        season_totals.driver_id,
        season_totals.driver_code,
        season_totals.races_started,
        season_totals.wins,
        season_totals.podiums,
        season_totals.retirements,
        season_totals.fastest_laps,
        qualifying.mean_grid_position,
        season_totals.mean_race_position,
        season_totals.sprint_points,
        season_totals.points,
        final_standings.position as championship_position,
        season_rounds.mean_positions_gained,
        season_rounds.race_pit_stops,
        case
            when qualifying.driver_id is null then 0
            else qualifying.pole_positions
        end as pole_positions,
        coalesce(qualifying.fastest_qualifier_count, 0) as fastest_qualifier_count,
        coalesce(season_rounds.races_with_positions_gained, 0) as races_with_positions_gained
    from season_totals
    left outer join qualifying
        on
            season_totals.season = qualifying.season
            and season_totals.driver_id = qualifying.driver_id
    left outer join final_standings
        on
            season_totals.season = final_standings.season
            and season_totals.driver_id = final_standings.driver_id
            and final_standings.recency_rank = 1
    left outer join season_rounds
        on
            season_totals.season = season_rounds.season
            and season_totals.driver_id = season_rounds.driver_id

)

select * from final
