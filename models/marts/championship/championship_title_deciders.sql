{#-
    Where each title was decided: one row per (season, championship). decided_round is the first round after
    which only one contender can still win (championship_title_fight.contenders_able_to_win = 1), and the
    champion is that contender; both null while more than one can still win after the latest classified round
    (the title still open).
-#}
with

title_fight as (

    select
        season,
        round,
        championship,
        contender_id,
        driver_id,
        driver_code,
        contender_name,
        team_name,
        remaining_rounds,
        can_still_win,
        contenders_able_to_win
    from {{ ref('championship_title_fight') }}

),

championships as (

    select
        season,
        championship,
        max(round) as latest_round,
        min(case when contenders_able_to_win = 1 then round end) as decided_round
    from title_fight
    group by season, championship

),

champions as (

    select
        title_fight.season,
        title_fight.championship,
        title_fight.round,
        title_fight.contender_id,
        title_fight.driver_id,
        title_fight.driver_code,
        title_fight.contender_name,
        title_fight.team_name,
        title_fight.remaining_rounds
    from title_fight
    inner join championships
        on
            title_fight.season = championships.season
            and title_fight.championship = championships.championship
            and title_fight.round = championships.decided_round
    where title_fight.can_still_win

),

final as (

    select
        championships.season,
        championships.championship,
        cast(championships.latest_round as {{ dbt.type_int() }}) as latest_round,
        cast(championships.decided_round as {{ dbt.type_int() }}) as decided_round,
        championships.decided_round is not null as is_decided,
        cast(champions.remaining_rounds as {{ dbt.type_int() }}) as rounds_to_spare,
        champions.contender_id as champion_id,
        champions.driver_id as champion_driver_id,
        champions.driver_code as champion_driver_code,
        champions.contender_name as champion_name,
        champions.team_name as champion_team_name
    from championships
    left outer join champions
        on
            championships.season = champions.season
            and championships.championship = champions.championship

)

select * from final
