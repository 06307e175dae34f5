{#- One row per (season, team_name): the team's colour and its drivers that season. -#}
with

drivers as (

    select
        season,
        team_name,
        team_colour_hex,
        driver_id,
        session_key,
        session_started_at
    from {{ ref('int_drivers_identified') }}
    where team_name is not null

),

colours as (

    select
        season,
        team_name,
        team_colour_hex,
        -- the newest session's colour; its drivers may disagree: the first driver_id decides (a total order)
        row_number() over (
            partition by season, team_name
            order by session_started_at desc, session_key desc, driver_id asc, team_colour_hex asc
        ) as recency_rank
    from drivers
    where team_colour_hex is not null

),

team_drivers as (

    select
        season,
        team_name,
        count(distinct driver_id) as drivers_fielded,
        {{ dbt.listagg('driver_id', "', '", 'order by driver_id') }} as driver_ids
    from (select distinct
        season,
        team_name,
        driver_id
    from drivers) as distinct_drivers
    group by season, team_name

),

final as (

    select
        team_drivers.season,
        team_drivers.team_name,
        {{ dbt.concat([
            dbt.safe_cast('team_drivers.season', dbt.type_string()),
            "'-'",
            "lower(replace(team_drivers.team_name, ' ', '-'))",
        ]) }} as team_season_id,
        colours.team_colour_hex,
        team_drivers.drivers_fielded,
        team_drivers.driver_ids
    from team_drivers
    left outer join colours
        on
            team_drivers.season = colours.season
            and team_drivers.team_name = colours.team_name
            and colours.recency_rank = 1

)

select * from final
