{#-
    One row per driver (stable driver_id), with his latest names, and his numbers and teams per season as
    lists ('1', 'Red Bull Racing'; '38, 50', 'Ferrari, Haas F1 Team' when they changed within a season).
-#}
with

drivers as (

    select
        driver_id,
        season,
        session_key,
        session_started_at,
        driver_number,
        driver_code,
        full_name,
        first_name,
        last_name,
        team_name,
        headshot_url,
        country_code
    from {{ ref('int_drivers_identified') }}

),

latest as (

    select
        driver_id,
        driver_code,
        full_name,
        first_name,
        last_name,
        headshot_url,
        country_code,
        row_number() over (
            partition by driver_id order by session_started_at desc, session_key desc, driver_number asc
        ) as recency_rank
    from drivers

),

season_numbers as (

    select
        driver_id,
        season,
        {{ dbt.listagg(dbt.safe_cast('driver_number', dbt.type_string()), "', '", 'order by driver_number') }}
            as season_driver_numbers
    from (select distinct
        driver_id,
        season,
        driver_number
    from drivers) as distinct_numbers
    group by driver_id, season

),

season_teams as (

    select
        driver_id,
        season,
        {{ dbt.listagg('team_name', "', '", 'order by team_name') }} as season_team_names
    from (select distinct
        driver_id,
        season,
        team_name
    from drivers
    where team_name is not null) as distinct_teams
    group by driver_id, season

),

latest_season as (

    select
        driver_id,
        max(season) as last_season,
        min(season) as first_season
    from drivers
    group by driver_id

),

final as (

    select
        latest.driver_id,
        latest.driver_code,
        latest.full_name,
        latest.first_name,
        latest.last_name,
        latest.country_code,
        latest.headshot_url,
        latest_season.first_season,
        latest_season.last_season,
        season_numbers.season_driver_numbers as last_season_driver_numbers,
        season_teams.season_team_names as last_season_team_names
    from latest
    inner join latest_season
        on latest.driver_id = latest_season.driver_id
    left outer join season_numbers
        on
            latest.driver_id = season_numbers.driver_id
            and latest_season.last_season = season_numbers.season
    left outer join season_teams
        on
            latest.driver_id = season_teams.driver_id
            and latest_season.last_season = season_teams.season
    where latest.recency_rank = 1

)

select * from final
