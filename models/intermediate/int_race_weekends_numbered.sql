{#- Championship rounds: every meeting with a (not cancelled) Grand Prix, numbered by race start within the season. -#}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        started_at,
        is_cancelled
    from {{ ref('stg_openf1__sessions') }}

),

grand_prix_races as (

    select
        meeting_key,
        season,
        session_key as race_session_key,
        started_at as race_started_at
    from sessions
    where
        session_type = 'Race'
        and session_name = 'Race'
        and not is_cancelled

),

sprints as (

    select
        meeting_key,
        max(session_key) as sprint_session_key
    from sessions
    where
        session_type = 'Race'
        and session_name = 'Sprint'
        and not is_cancelled
    group by meeting_key

),

numbered as (

    select
        grand_prix_races.meeting_key,
        grand_prix_races.season,
        grand_prix_races.race_session_key,
        sprints.sprint_session_key,
        grand_prix_races.race_started_at,
        row_number() over (
            partition by grand_prix_races.season
            order by grand_prix_races.race_started_at, grand_prix_races.race_session_key
        ) as round_number
    from grand_prix_races
    left outer join sprints
        on grand_prix_races.meeting_key = sprints.meeting_key

)

select * from numbered
