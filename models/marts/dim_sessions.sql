with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        session_kind,
        started_at,
        ended_at,
        utc_offset,
        session_date,
        is_cancelled,
        circuit_key,
        circuit_short_name,
        country_name
    from {{ ref('stg_openf1__sessions') }}

),

loads as (

    select
        load_id,
        loaded_at
    from {{ ref('stg_openf1__loads') }}

),

result_loads as (

    -- the load that last brought each session's result (the loader fetches it again inside the window)
    select
        session_key,
        max(load_id) as load_id
    from {{ ref('stg_openf1__session_results') }}
    group by session_key

),

results_loaded as (

    select
        result_loads.session_key,
        loads.loaded_at as results_loaded_at
    from result_loads
    inner join loads
        on result_loads.load_id = loads.load_id

),

rounds as (

    select
        meeting_key,
        round_number
    from {{ ref('int_race_weekends_numbered') }}

),

session_results as (

    -- the classification fct_session_results is built from (fct_session_results reads dim_sessions: no cycle)
    select
        session_key,
        laps_completed
    from {{ ref('int_session_results_classified') }}

),

laps as (

    -- the laps fct_laps is built from, one row per lap
    select
        session_key,
        lap_number
    from {{ ref('int_laps_enriched') }}

),

most_laps_completed as (

    select
        session_key,
        max(laps_completed) as most_laps_completed
    from session_results
    group by session_key

),

highest_laps as (

    select
        session_key,
        max(lap_number) as highest_lap_number
    from laps
    group by session_key

),

laps_run as (

    -- either side can fall short (a last lap the classification does not count, lap data that stops early):
    -- the greater wins, a side the session lacks counting 0; a session with neither is left out (null)
    select
        coalesce(most_laps_completed.session_key, highest_laps.session_key) as session_key,
        greatest(
            coalesce(most_laps_completed.most_laps_completed, 0),
            coalesce(highest_laps.highest_lap_number, 0)
        ) as laps_run
    from most_laps_completed
    full outer join highest_laps
        on most_laps_completed.session_key = highest_laps.session_key

),

final as (

    select
        sessions.session_key,
        sessions.meeting_key,
        sessions.season,
        rounds.round_number,
        sessions.session_name,
        sessions.session_type,
        sessions.started_at,
        sessions.ended_at,
        sessions.utc_offset,
        sessions.session_date,
        sessions.is_cancelled,
        sessions.circuit_key,
        sessions.circuit_short_name,
        sessions.country_name,
        sessions.session_kind,
        -- results can still be amended (penalties, disqualifications, appeals): the result we hold was loaded
        -- inside the window after the session (as the loader decides what is final), so the same loads always
        -- give the same flag, and a load scoped elsewhere leaves it provisional
        coalesce(
            sessions.session_kind in ('race', 'sprint', 'qualifying', 'sprint_qualifying')
            and sessions.ended_at is not null
            and {{ dbt.datediff('sessions.ended_at', 'results_loaded.results_loaded_at', 'second') }}
            < {{ var('results_window_days') }} * 86400,
            false
        ) as is_result_provisional,
        cast(laps_run.laps_run as {{ dbt.type_int() }}) as laps_run
    from sessions
    left outer join results_loaded
        on sessions.session_key = results_loaded.session_key
    left outer join rounds
        on sessions.meeting_key = rounds.meeting_key
    left outer join laps_run
        on sessions.session_key = laps_run.session_key

)

select * from final
