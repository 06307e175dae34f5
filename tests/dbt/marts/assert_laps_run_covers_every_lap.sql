{#-
    dim_sessions.laps_run is computed before the marts (fct_session_results reads dim_sessions): no car of the
    classification completed more laps, no lap in fct_laps has a higher number, and a session with either has a
    laps_run. Failing rows are the cars and laps past (or without) their session's laps_run.
-#}
with

sessions as (

    select
        session_key,
        laps_run
    from {{ ref('dim_sessions') }}

),

session_results as (

    select
        session_key,
        driver_number,
        laps_completed
    from {{ ref('fct_session_results') }}

),

laps as (

    select
        session_key,
        driver_number,
        lap_number
    from {{ ref('fct_laps') }}

),

cars_past_laps_run as (

    select
        session_results.session_key,
        session_results.driver_number,
        session_results.laps_completed as laps,
        sessions.laps_run
    from session_results
    inner join sessions
        on session_results.session_key = sessions.session_key
    where sessions.laps_run is null or session_results.laps_completed > sessions.laps_run

),

laps_past_laps_run as (

    select
        laps.session_key,
        laps.driver_number,
        laps.lap_number as laps,
        sessions.laps_run
    from laps
    inner join sessions
        on laps.session_key = sessions.session_key
    where sessions.laps_run is null or laps.lap_number > sessions.laps_run

),

failures as (

    select * from cars_past_laps_run
    union all
    select * from laps_past_laps_run

)

select * from failures
