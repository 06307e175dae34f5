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
        is_cancelled,
        circuit_key,
        circuit_short_name,
        country_name
    from {{ ref('stg_openf1__sessions') }}

),

loads as (

    select loaded_at
    from {{ ref('stg_openf1__loads') }}
    where is_complete

),

newest_load as (

    select max(loaded_at) as newest_loaded_at
    from loads

),

rounds as (

    select
        meeting_key,
        round_number
    from {{ ref('int_race_weekends_numbered') }}

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
        sessions.is_cancelled,
        sessions.circuit_key,
        sessions.circuit_short_name,
        sessions.country_name,
        sessions.session_kind,
        -- results can still be amended (penalties, disqualifications, appeals) until the window after the
        -- session has passed; judged at the warehouse's newest load, so the same data always gives the same flag
        coalesce(
            sessions.session_kind in ('race', 'sprint', 'qualifying', 'sprint_qualifying')
            and newest_load.newest_loaded_at is not null
            and sessions.ended_at is not null
            and {{ dbt.datediff('sessions.ended_at', 'newest_load.newest_loaded_at', 'second') }}
            < {{ var('results_window_days') }} * 86400,
            false
        ) as is_result_provisional
    from sessions
    cross join newest_load
    left outer join rounds
        on sessions.meeting_key = rounds.meeting_key

)

select * from final
