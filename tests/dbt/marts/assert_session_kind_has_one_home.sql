{#-
    One fact, one home: every mart that carries a session's kind carries dim_sessions' (which reads
    stg_openf1__sessions, the only place macros/session_kind.sql is called). A copy of the rule that drifts (as
    int_session_results_classified's once did, calling Sprint Qualifying 'qualifying') fails here.
-#}
with

sessions as (

    select
        session_key,
        session_kind
    from {{ ref('dim_sessions') }}

),

marts_with_kind as (

    select
        'fct_session_results' as mart,
        session_key,
        session_kind
    from {{ ref('fct_session_results') }}

    union all

    select
        'fct_pit_stops' as mart,
        session_key,
        session_kind
    from {{ ref('fct_pit_stops') }}

    union all

    select
        'fct_qualifying' as mart,
        session_key,
        session_kind
    from {{ ref('fct_qualifying') }}

    union all

    select
        'stint_features' as mart,
        session_key,
        session_kind
    from {{ ref('stint_features') }}

),

mismatches as (

    select distinct
        marts_with_kind.mart,
        marts_with_kind.session_key,
        marts_with_kind.session_kind,
        sessions.session_kind as dim_sessions_kind
    from marts_with_kind
    left outer join sessions
        on marts_with_kind.session_key = sessions.session_key
    where
        sessions.session_key is null
        or marts_with_kind.session_kind != sessions.session_kind

)

select * from mismatches
