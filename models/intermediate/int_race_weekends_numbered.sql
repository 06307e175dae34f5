{#-
    Championship rounds: every meeting with a (not cancelled) Grand Prix, numbered by race start within the season,
    with the weekend's sessions that matter to each other: the sprint, and the qualifying sessions that set the
    grids (Grand Prix qualifying for the race, sprint qualifying for the sprint). The one home of "the meeting's
    qualifying": marts and features read these keys (dim_meetings, fct_session_results.grid_position).
-#}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_kind,
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
        session_kind = 'race'
        and not is_cancelled

),

sprints as (

    select
        meeting_key,
        max(session_key) as sprint_session_key
    from sessions
    where
        session_kind = 'sprint'
        and not is_cancelled
    group by meeting_key

),

qualifyings as (

    select
        meeting_key,
        max(case when session_kind = 'qualifying' then session_key end) as qualifying_session_key,
        max(case when session_kind = 'sprint_qualifying' then session_key end) as sprint_qualifying_session_key
    from sessions
    where
        session_kind in ('qualifying', 'sprint_qualifying')
        and not is_cancelled
    group by meeting_key

),

numbered as (

    select
        grand_prix_races.meeting_key,
        grand_prix_races.season,
        grand_prix_races.race_session_key,
        sprints.sprint_session_key,
        qualifyings.qualifying_session_key,
        qualifyings.sprint_qualifying_session_key,
        grand_prix_races.race_started_at,
        row_number() over (
            partition by grand_prix_races.season
            order by grand_prix_races.race_started_at, grand_prix_races.race_session_key
        ) as round_number
    from grand_prix_races
    left outer join sprints
        on grand_prix_races.meeting_key = sprints.meeting_key
    left outer join qualifyings
        on grand_prix_races.meeting_key = qualifyings.meeting_key

)

select * from numbered
