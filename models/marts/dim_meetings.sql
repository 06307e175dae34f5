with

meetings as (

    select
        meeting_key,
        season,
        meeting_name,
        meeting_official_name,
        circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location_name,
        utc_offset,
        started_at
    from {{ ref('stg_openf1__meetings') }}

),

rounds as (

    select
        meeting_key,
        round_number,
        race_session_key,
        sprint_session_key,
        qualifying_session_key,
        sprint_qualifying_session_key
    from {{ ref('int_race_weekends_numbered') }}

),

final as (

    select
        meetings.meeting_key,
        meetings.season,
        rounds.round_number,
        meetings.meeting_name,
        meetings.meeting_official_name,
        meetings.circuit_key,
        meetings.circuit_short_name,
        meetings.country_code,
        meetings.country_name,
        meetings.location_name,
        meetings.utc_offset,
        meetings.started_at,
        rounds.race_session_key,
        rounds.sprint_session_key,
        rounds.qualifying_session_key,
        rounds.sprint_qualifying_session_key,
        rounds.sprint_session_key is not null as is_sprint_weekend
    from meetings
    left outer join rounds
        on meetings.meeting_key = rounds.meeting_key

)

select * from final
