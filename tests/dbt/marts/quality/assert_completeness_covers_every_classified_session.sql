{#-
    Every session with a classification that is not cancelled has its rows in session_data_completeness: the
    scope rule (sessions up to the latest with data) never drops a session that has data.
-#}
select distinct results.session_key
from {{ ref('fct_session_results') }} as results
inner join {{ ref('dim_sessions') }} as sessions
    on results.session_key = sessions.session_key
where
    not coalesce(sessions.is_cancelled, false)
    and results.session_key not in (
        select completeness.session_key
        from {{ ref('session_data_completeness') }} as completeness
        where completeness.endpoint = 'session_result'
    )
