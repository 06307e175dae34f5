{#-
    Undercut attempts in races, one row per (session_key, attacking_driver_number, attacking_stop_number).
    The rule: a driver pits on lap L while the car directly ahead of him at the end of lap L-1 (the target)
    stays out and pits within the next `undercut_window_laps` laps (3). The undercut succeeds when the
    attacker is ahead at the end of the lap after the target's stop (the target's out-lap), fails when he is
    still behind, and is 'unknown' when either position is missing (e.g. a retirement).
    Only race stops count (fct_pit_stops.stop_kind = 'race_stop': no red-flag entries or penalties). An undercut
    is a green-flag attempt: when either stop was made under a safety car or a virtual safety car, the row is a
    'cheap_stop' instead (the neutralisation, not the undercut, decides it); both stops' track status are kept.
-#}
{%- set window_laps = var('undercut_window_laps') -%}
with

races as (

    select session_key
    from {{ ref('dim_sessions') }}
    where session_kind = 'race'

),

race_laps as (

    select
        session_key,
        driver_number,
        lap_number,
        position_at_lap_end
    from {{ ref('fct_laps') }}
    where position_at_lap_end is not null

),

pit_stops as (

    select
        session_key,
        driver_number,
        driver_id,
        stop_number,
        lap_number,
        track_status_at_stop
    from {{ ref('fct_pit_stops') }}
    where
        session_kind = 'race'
        and stop_kind = 'race_stop'

),

laps as (

    select
        race_laps.session_key,
        race_laps.driver_number,
        race_laps.lap_number,
        race_laps.position_at_lap_end
    from race_laps
    inner join races
        on race_laps.session_key = races.session_key

),

attackers as (

    select
        pit_stops.session_key,
        pit_stops.driver_number,
        pit_stops.driver_id,
        pit_stops.stop_number,
        pit_stops.lap_number,
        pit_stops.track_status_at_stop,
        laps.position_at_lap_end as position_before_stop
    from pit_stops
    inner join laps
        on
            pit_stops.session_key = laps.session_key
            and pit_stops.driver_number = laps.driver_number
            and pit_stops.lap_number - 1 = laps.lap_number

),

targets as (

    -- the car directly ahead at the end of the lap before the attacker's stop
    select
        attackers.session_key,
        attackers.driver_number as attacking_driver_number,
        attackers.driver_id as attacking_driver_id,
        attackers.stop_number as attacking_stop_number,
        attackers.lap_number as attacking_stop_lap,
        attackers.track_status_at_stop as attacking_stop_track_status,
        attackers.position_before_stop as attacking_position_before,
        laps.driver_number as target_driver_number
    from attackers
    inner join laps
        on
            attackers.session_key = laps.session_key
            and attackers.lap_number - 1 = laps.lap_number
            and attackers.position_before_stop - 1 = laps.position_at_lap_end

),

attempts as (

    -- the target's first stop within the window after the attacker's
    select
        targets.session_key,
        targets.attacking_driver_number,
        targets.attacking_driver_id,
        targets.attacking_stop_number,
        targets.attacking_stop_lap,
        targets.attacking_stop_track_status,
        targets.attacking_position_before,
        targets.target_driver_number,
        min(pit_stops.stop_number) as target_stop_number
    from targets
    inner join pit_stops
        on
            targets.session_key = pit_stops.session_key
            and targets.target_driver_number = pit_stops.driver_number
            and targets.attacking_stop_lap < pit_stops.lap_number
            and pit_stops.lap_number <= targets.attacking_stop_lap + {{ window_laps }}
    group by
        targets.session_key,
        targets.attacking_driver_number,
        targets.attacking_driver_id,
        targets.attacking_stop_number,
        targets.attacking_stop_lap,
        targets.attacking_stop_track_status,
        targets.attacking_position_before,
        targets.target_driver_number

),

attempts_with_target_stop as (

    select
        attempts.session_key,
        attempts.attacking_driver_number,
        attempts.attacking_driver_id,
        attempts.attacking_stop_number,
        attempts.attacking_stop_lap,
        attempts.attacking_stop_track_status,
        attempts.attacking_position_before,
        attempts.target_driver_number,
        pit_stops.driver_id as target_driver_id,
        pit_stops.lap_number as target_stop_lap,
        pit_stops.track_status_at_stop as target_stop_track_status
    from attempts
    inner join pit_stops
        on
            attempts.session_key = pit_stops.session_key
            and attempts.target_driver_number = pit_stops.driver_number
            and attempts.target_stop_number = pit_stops.stop_number

),

outcomes as (

    select
        attempts_with_target_stop.session_key,
        attempts_with_target_stop.attacking_driver_number,
        attempts_with_target_stop.attacking_driver_id,
        attempts_with_target_stop.attacking_stop_number,
        attempts_with_target_stop.attacking_stop_lap,
        attempts_with_target_stop.target_driver_number,
        attempts_with_target_stop.target_driver_id,
        attempts_with_target_stop.target_stop_lap,
        attempts_with_target_stop.attacking_stop_track_status,
        attempts_with_target_stop.target_stop_track_status,
        attempts_with_target_stop.attacking_position_before,
        attacker_after.position_at_lap_end as attacking_position_after,
        target_after.position_at_lap_end as target_position_after,
        case
            when
                attempts_with_target_stop.attacking_stop_track_status = 'green'
                and attempts_with_target_stop.target_stop_track_status = 'green'
                then 'undercut'
            else 'cheap_stop'
        end as attempt_kind,
        attempts_with_target_stop.target_stop_lap + 1 as decided_on_lap,
        case
            when attacker_after.position_at_lap_end is null or target_after.position_at_lap_end is null
                then 'unknown'
            when attacker_after.position_at_lap_end < target_after.position_at_lap_end then 'success'
            else 'failure'
        end as outcome
    from attempts_with_target_stop
    left outer join laps as attacker_after
        on
            attempts_with_target_stop.session_key = attacker_after.session_key
            and attempts_with_target_stop.attacking_driver_number = attacker_after.driver_number
            and attempts_with_target_stop.target_stop_lap + 1 = attacker_after.lap_number
    left outer join laps as target_after
        on
            attempts_with_target_stop.session_key = target_after.session_key
            and attempts_with_target_stop.target_driver_number = target_after.driver_number
            and attempts_with_target_stop.target_stop_lap + 1 = target_after.lap_number

)

select * from outcomes
