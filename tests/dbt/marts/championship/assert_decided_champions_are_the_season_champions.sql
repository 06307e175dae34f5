{#-
    Two marts name a season's champion: season_champions (the standings leaders after the latest classified
    round) and championship_title_deciders (the one contender who can still win). Once a season is complete and
    a title decided, they must name the same driver and the same team. Returns the seasons where they differ.
-#}
with

champions as (

    select
        season,
        is_season_complete,
        drivers_leader_driver_id,
        constructors_leader_team_name
    from {{ ref('season_champions') }}

),

deciders as (

    select
        season,
        championship,
        is_decided,
        champion_id
    from {{ ref('championship_title_deciders') }}

),

final as (

    select
        champions.season,
        deciders.championship,
        deciders.champion_id,
        case
            when deciders.championship = 'drivers' then champions.drivers_leader_driver_id
            else champions.constructors_leader_team_name
        end as season_champion
    from champions
    inner join deciders
        on champions.season = deciders.season
    where
        champions.is_season_complete
        and deciders.is_decided

)

select * from final
where champion_id != season_champion
