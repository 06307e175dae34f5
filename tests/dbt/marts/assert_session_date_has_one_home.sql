{#-
    One fact, one home: every mart that carries a session's date (the metrics layer's time) carries
    dim_sessions', which reads stg_openf1__sessions, the only place macros/local_date.sql is called. A mart
    that dates its rows another way (a UTC date, a lap's own start) fails here. fct_laps is incremental: on a
    warehouse built before it had session_date, its first build merges every session again (fct_laps.sql).
-#}
with

sessions as (

    select
        session_key,
        session_date
    from {{ ref('dim_sessions') }}

),

marts_with_date as (

    select
        'fct_session_results' as mart,
        session_key,
        session_date
    from {{ ref('fct_session_results') }}

    union all

    select
        'fct_qualifying' as mart,
        session_key,
        session_date
    from {{ ref('fct_qualifying') }}

    union all

    select
        'fct_pit_stops' as mart,
        session_key,
        session_date
    from {{ ref('fct_pit_stops') }}

    union all

    select
        'fct_overtakes' as mart,
        session_key,
        session_date
    from {{ ref('fct_overtakes') }}

    union all

    select distinct
        'fct_laps' as mart,
        session_key,
        session_date
    from {{ ref('fct_laps') }}

    union all

    select
        'tyre_degradation' as mart,
        session_key,
        session_date
    from {{ ref('tyre_degradation') }}

),

mismatches as (

    select distinct
        marts_with_date.mart,
        marts_with_date.session_key,
        marts_with_date.session_date,
        sessions.session_date as dim_sessions_date
    from marts_with_date
    left outer join sessions
        on marts_with_date.session_key = sessions.session_key
    where
        sessions.session_key is null
        or marts_with_date.session_date is distinct from sessions.session_date

)

select * from mismatches
