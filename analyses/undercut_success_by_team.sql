{#-
    Which teams make the undercut work? One row per (season, attacking team, attempt_kind): attempts and
    outcomes. attempt_kind 'undercut' is a green-flag attempt, the real undercut; 'cheap_stop' is a stop under a
    safety car or VSC, decided by the neutralisation, so it is counted apart.
-#}
with

undercuts as (

    select
        session_key,
        attacking_driver_id,
        attempt_kind,
        outcome
    from {{ ref('undercuts') }}

),

race_results as (

    select
        session_key,
        season,
        driver_id,
        team_name
    from {{ ref('fct_session_results') }}
    where session_kind = 'race'

),

attempts as (

    select
        race_results.season,
        race_results.team_name,
        undercuts.attempt_kind,
        undercuts.outcome
    from undercuts
    inner join race_results
        on
            undercuts.session_key = race_results.session_key
            and undercuts.attacking_driver_id = race_results.driver_id

),

by_team as (

    select
        season,
        team_name,
        attempt_kind,
        count(*) as attempts,
        count(*) filter (where outcome = 'success') as successes,
        count(*) filter (where outcome = 'failure') as failures,
        count(*) filter (where outcome = 'unknown') as unknown_outcomes
    from attempts
    group by season, team_name, attempt_kind

),

final as (

    select
        season,
        team_name,
        attempt_kind,
        attempts,
        successes,
        failures,
        unknown_outcomes,
        round(100.0 * successes / nullif(successes + failures, 0), 1) as success_pct
    from by_team

)

select * from final
order by season asc, attempt_kind desc, successes desc, team_name asc
