{#-
    Every pit-lane visit with its kind and the track status when the car entered the pit lane. Kinds:
    - 'red_flag_entry': a race or sprint visit whose time in the lane overlaps a red flag (the field waits in the
      pit lane: lane times of many minutes; not a pit stop in any strategic sense);
    - 'penalty_drive_through' / 'penalty_stop_and_go': the driver's first visit after race control announced a
      drive-through or stop-and-go penalty for his car, within the three laps the regulations allow (OpenF1
      opens a new stint at such a visit too, so stints cannot tell it from a tyre change);
    - 'race_stop': any other race or sprint visit (the stops strategists and pit-stop counts mean);
    - 'qualifying_run' / 'practice_run': visits in qualifying, sprint qualifying and practice (the garage and
      the pit lane are part of every run there).
    track_status_at_stop is 'green', 'sc', 'vsc' or 'red' at pit entry (OpenF1's pit `date` is the exit: entry is
    lane_duration_s before it); a local yellow counts as green (the field is not neutralised).
-#}
with

pit_stops as (

    select
        session_key,
        meeting_key,
        driver_number,
        stop_number,
        lap_number,
        pitted_at,
        lane_duration_s,
        stop_duration_s,
        stint_number_before,
        stint_number_after,
        compound_before,
        compound_after
    from {{ ref('int_pit_stops_sequenced') }}

),

sessions as (

    select
        session_key,
        session_kind
    from {{ ref('stg_openf1__sessions') }}

),

track_status_periods as (

    select
        session_key,
        track_status,
        started_at,
        ended_at
    from {{ ref('int_track_status_periods') }}

),

race_control as (

    select
        session_key,
        recorded_at,
        lap_number,
        upper(message) as message
    from {{ ref('stg_openf1__race_control') }}
    where recorded_at is not null

),

penalties as (

    -- 'FIA STEWARDS: DRIVE THROUGH PENALTY FOR CAR 44 (HAM) - SPEEDING IN THE PIT LANE',
    -- 'FIA STEWARDS: 10 SECOND STOP/GO PENALTY FOR CAR 23 (ALB) - UNSAFE CONDITION'
    select
        session_key,
        recorded_at as announced_at,
        lap_number as announced_on_lap,
        cast({{ regex_capture('message', 'PENALTY FOR CAR ([0-9]+)') }} as {{ dbt.type_int() }}) as driver_number,
        case
            when message like '%DRIVE THROUGH PENALTY%' then 'penalty_drive_through'
            else 'penalty_stop_and_go'
        end as penalty_kind
    from race_control
    where
        message like '%DRIVE THROUGH PENALTY FOR CAR%'
        or message like '%STOP/GO PENALTY FOR CAR%'
        or message like '%STOP AND GO PENALTY FOR CAR%'

),

lane_windows as (

    -- OpenF1's pit `date` is when the car left the pit lane: it entered lane_duration_s earlier
    select
        session_key,
        driver_number,
        stop_number,
        pitted_at,
        1000 * coalesce(lane_duration_s, 0) as lane_duration_ms
    from pit_stops

),

status_at_entry as (

    -- the period covering pit entry; periods of a session do not overlap, so at most one matches
    select
        lane_windows.session_key,
        lane_windows.driver_number,
        lane_windows.stop_number,
        max(track_status_periods.track_status) as track_status
    from lane_windows
    inner join track_status_periods
        on
            lane_windows.session_key = track_status_periods.session_key
            and lane_windows.lane_duration_ms
            <= {{ dbt.datediff('track_status_periods.started_at', 'lane_windows.pitted_at', 'millisecond') }}
            and (
                track_status_periods.ended_at is null
                or lane_windows.lane_duration_ms
                > {{ dbt.datediff('track_status_periods.ended_at', 'lane_windows.pitted_at', 'millisecond') }}
            )
    group by lane_windows.session_key, lane_windows.driver_number, lane_windows.stop_number

),

red_flag_visits as (

    -- in the lane while a red flag was out: it started before the car left and ended after it entered
    select distinct
        lane_windows.session_key,
        lane_windows.driver_number,
        lane_windows.stop_number
    from lane_windows
    inner join track_status_periods
        on
            lane_windows.session_key = track_status_periods.session_key
            and track_status_periods.track_status = 'red'
            and lane_windows.pitted_at >= track_status_periods.started_at
            and (
                track_status_periods.ended_at is null
                or lane_windows.lane_duration_ms
                > {{ dbt.datediff('track_status_periods.ended_at', 'lane_windows.pitted_at', 'millisecond') }}
            )

),

penalty_candidates as (

    -- a penalty is served at the driver's first visit after it was announced, within the three laps the
    -- sporting regulations allow (a penalty never served, e.g. after a retirement, marks no visit)
    select
        penalties.session_key,
        penalties.driver_number,
        penalties.announced_at,
        penalties.penalty_kind,
        min(pit_stops.stop_number) as stop_number
    from penalties
    inner join pit_stops
        on
            penalties.session_key = pit_stops.session_key
            and penalties.driver_number = pit_stops.driver_number
            -- announced before the car entered the lane (pit exit minus the lane time)
            and {{ dbt.datediff('penalties.announced_at', 'pit_stops.pitted_at', 'millisecond') }}
            > 1000 * coalesce(pit_stops.lane_duration_s, 0)
            and (penalties.announced_on_lap is null or penalties.announced_on_lap + 3 >= pit_stops.lap_number)
    group by penalties.session_key, penalties.driver_number, penalties.announced_at, penalties.penalty_kind

),

penalty_visits as (

    -- two penalties matched to one visit (rare) keep the kind first in name order: a total, repeatable rule
    select
        session_key,
        driver_number,
        stop_number,
        min(penalty_kind) as penalty_kind
    from penalty_candidates
    group by session_key, driver_number, stop_number

),

classified as (

    select
        pit_stops.session_key,
        pit_stops.meeting_key,
        sessions.session_kind,
        pit_stops.driver_number,
        pit_stops.stop_number,
        pit_stops.lap_number,
        pit_stops.pitted_at,
        pit_stops.lane_duration_s,
        pit_stops.stop_duration_s,
        pit_stops.stint_number_before,
        pit_stops.stint_number_after,
        pit_stops.compound_before,
        pit_stops.compound_after,
        case
            when status_at_entry.track_status in ('sc', 'vsc', 'red') then status_at_entry.track_status
            else 'green'
        end as track_status_at_stop,
        case
            when sessions.session_kind = 'practice' then 'practice_run'
            when sessions.session_kind in ('qualifying', 'sprint_qualifying') then 'qualifying_run'
            when red_flag_visits.stop_number is not null then 'red_flag_entry'
            when penalty_visits.stop_number is not null then penalty_visits.penalty_kind
            else 'race_stop'
        end as stop_kind
    from pit_stops
    inner join sessions
        on pit_stops.session_key = sessions.session_key
    left outer join status_at_entry
        on
            pit_stops.session_key = status_at_entry.session_key
            and pit_stops.driver_number = status_at_entry.driver_number
            and pit_stops.stop_number = status_at_entry.stop_number
    left outer join red_flag_visits
        on
            pit_stops.session_key = red_flag_visits.session_key
            and pit_stops.driver_number = red_flag_visits.driver_number
            and pit_stops.stop_number = red_flag_visits.stop_number
    left outer join penalty_visits
        on
            pit_stops.session_key = penalty_visits.session_key
            and pit_stops.driver_number = penalty_visits.driver_number
            and pit_stops.stop_number = penalty_visits.stop_number

)

select * from classified
