{#-
    The board's header, one row per session: what it is, where, how far it has run (lap N of M), the latest
    record time, whether it is running or finished, and the track status now.
    - current_lap_number: the highest lap any car has started (the leader's lap in a race);
      laps_completed: the most laps any car has completed (board_laps.is_completed).
    - total_laps (M): known once the session finished (the laps the winner completed); null before.
    - session_status: 'finished' when race control's SessionStatus says 'SESSION FINISHED' after its latest
      'SESSION STARTED' (source 'session_status'), else when a chequered flag was shown (source
      'chequered_flag'), else 'running' once any lap, position or race control record exists (source
      'session_status' when a 'SESSION STARTED' row exists, else 'data'), else 'not_started'.
    - data_time_at: the latest time any record of the session carries (lap start or crossing, position,
      interval, pit, race control): how current the board is, independent of the reader's clock.
    - track_status: the status of the session's latest int_track_status_periods period ('green' when none).
-#}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_kind,
        started_at,
        ended_at,
        circuit_key,
        circuit_short_name,
        country_name
    from {{ ref('stg_openf1__sessions') }}

),

meetings as (

    select
        meeting_key,
        meeting_name
    from {{ ref('stg_openf1__meetings') }}

),

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        crossed_at,
        is_completed
    from {{ ref('board_laps') }}

),

race_control as (

    select
        session_key,
        recorded_at,
        category,
        flag,
        upper(message) as message
    from {{ ref('stg_openf1__race_control') }}

),

positions as (

    select
        session_key,
        recorded_at
    from {{ ref('stg_openf1__positions') }}

),

intervals as (

    select
        session_key,
        recorded_at
    from {{ ref('stg_openf1__intervals') }}

),

pit_stops as (

    select
        session_key,
        pitted_at
    from {{ ref('stg_openf1__pit_stops') }}

),

track_status_periods as (

    select
        session_key,
        period_number,
        track_status,
        started_at
    from {{ ref('int_track_status_periods') }}

),

record_times as (

    select
        session_key,
        coalesce(crossed_at, started_at) as recorded_at
    from laps
    union all
    select
        session_key,
        recorded_at
    from race_control
    union all
    select
        session_key,
        recorded_at
    from positions
    union all
    select
        session_key,
        recorded_at
    from intervals
    union all
    select
        session_key,
        pitted_at as recorded_at
    from pit_stops

),

data_times as (

    select
        session_key,
        max(recorded_at) as data_time_at
    from record_times
    group by session_key

),

interval_sessions as (

    select distinct session_key
    from intervals

),

lap_progress as (

    select
        session_key,
        max(lap_number) as current_lap_number,
        max(case when is_completed then lap_number end) as laps_completed
    from laps
    group by session_key

),

status_marks as (

    select
        session_key,
        max(case when category = 'SessionStatus' and message = 'SESSION STARTED' then recorded_at end)
            as last_started_at,
        max(case when category = 'SessionStatus' and message = 'SESSION FINISHED' then recorded_at end)
            as last_finished_at,
        max(case when flag = 'CHEQUERED' then recorded_at end) as chequered_at
    from race_control
    group by session_key

),

latest_periods as (

    select
        session_key,
        track_status,
        started_at,
        row_number() over (partition by session_key order by period_number desc) as recency
    from track_status_periods

),

statuses as (

    select
        sessions.session_key,
        case
            when
                status_marks.last_finished_at is not null
                and (
                    status_marks.last_started_at is null
                    or status_marks.last_finished_at >= status_marks.last_started_at
                )
                then 'finished'
            when status_marks.last_started_at is not null then 'running'
            when status_marks.chequered_at is not null then 'finished'
            when data_times.data_time_at is not null then 'running'
            else 'not_started'
        end as session_status,
        case
            when status_marks.last_finished_at is not null or status_marks.last_started_at is not null
                then 'session_status'
            when status_marks.chequered_at is not null then 'chequered_flag'
            when data_times.data_time_at is not null then 'data'
        end as session_status_source
    from sessions
    left outer join status_marks
        on sessions.session_key = status_marks.session_key
    left outer join data_times
        on sessions.session_key = data_times.session_key

),

final as (

    select
        sessions.session_key,
        sessions.meeting_key,
        sessions.season,
        meetings.meeting_name,
        sessions.session_name,
        sessions.session_kind,
        sessions.circuit_key,
        sessions.circuit_short_name,
        sessions.country_name,
        sessions.started_at as scheduled_start_at,
        sessions.ended_at as scheduled_end_at,
        cast(lap_progress.current_lap_number as {{ dbt.type_int() }}) as current_lap_number,
        cast(lap_progress.laps_completed as {{ dbt.type_int() }}) as laps_completed,
        cast(
            case when statuses.session_status = 'finished' then lap_progress.laps_completed end
            as {{ dbt.type_int() }}
        ) as total_laps,
        data_times.data_time_at,
        statuses.session_status,
        statuses.session_status_source,
        coalesce(latest_periods.track_status, 'green') as track_status,
        latest_periods.started_at as track_status_since_at,
        interval_sessions.session_key is not null as has_intervals
    from sessions
    inner join statuses
        on sessions.session_key = statuses.session_key
    left outer join meetings
        on sessions.meeting_key = meetings.meeting_key
    left outer join lap_progress
        on sessions.session_key = lap_progress.session_key
    left outer join data_times
        on sessions.session_key = data_times.session_key
    left outer join latest_periods
        on
            sessions.session_key = latest_periods.session_key
            and latest_periods.recency = 1
    left outer join interval_sessions
        on sessions.session_key = interval_sessions.session_key

)

select * from final
