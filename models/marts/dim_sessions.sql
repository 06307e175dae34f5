with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        started_at,
        ended_at,
        utc_offset,
        is_cancelled,
        circuit_key,
        circuit_short_name,
        country_name
    from {{ ref('stg_openf1__sessions') }}

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
        case
            when sessions.session_type = 'Race' and sessions.session_name like '%Sprint%' then 'sprint'
            when sessions.session_type = 'Race' then 'race'
            when sessions.session_type = 'Qualifying' and sessions.session_name like '%Sprint%'
                then 'sprint_qualifying'
            when sessions.session_type = 'Qualifying' then 'qualifying'
            else 'practice'
        end as session_kind
    from sessions
    left outer join rounds
        on sessions.meeting_key = rounds.meeting_key

)

select * from final
