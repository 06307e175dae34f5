{#-
    After every round the championship leader (position 1) can still win, and contenders_able_to_win counts the
    contenders who can. Returns the offending rounds.
-#}
with

title_fight as (

    select
        season,
        round,
        championship,
        position,
        can_still_win,
        contenders_able_to_win
    from {{ ref('championship_title_fight') }}

),

rounds as (

    select
        season,
        round,
        championship,
        max(contenders_able_to_win) as contenders_able_to_win,
        count(case when can_still_win then 1 end) as contenders_counted,
        count(case when position = 1 and can_still_win then 1 end) as leaders_able
    from title_fight
    group by season, round, championship

),

failures as (

    select
        season,
        round,
        championship,
        contenders_able_to_win,
        contenders_counted,
        leaders_able
    from rounds
    where
        leaders_able = 0
        or contenders_able_to_win != contenders_counted

)

select * from failures
