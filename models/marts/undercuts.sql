{#-
    Undercut attempts in races, one row per (session_key, attacking_driver_number, attacking_stop_number).
    The rule: a driver pits on lap L while the car directly ahead of him at the end of lap L-1 (the target)
    stays out and pits within the next `undercut_window_laps` laps (3). The undercut succeeds when the
    attacker is ahead at the end of the lap after the target's stop (the target's out-lap), fails when he is
    still behind, and is 'unknown' when either position is missing (e.g. a retirement).
-#}
{%- set window_laps = var('undercut_window_laps', 3) -%}
with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        position_at_lap_end
    from {{ ref('fct_laps') }}
    where
        session_name = 'Race'
        and position_at_lap_end is not null

),

pit_stops as (

    select
        session_key,
        driver_number,
        driver_id,
        stop_number,
        lap_number
    from {{ ref('fct_pit_stops') }}
    where session_name = 'Race'

),

attackers as (

    select
        pit_stops.session_key,
        pit_stops.driver_number,
        pit_stops.driver_id,
        pit_stops.stop_number,
        pit_stops.lap_number,
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
        targets.attacking_position_before,
        targets.target_driver_number,
        max(pit_stops.driver_id) as target_driver_id,
        min(pit_stops.lap_number) as target_stop_lap
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
        targets.attacking_position_before,
        targets.target_driver_number

),

outcomes as (

    select
        attempts.session_key,
        attempts.attacking_driver_number,
        attempts.attacking_driver_id,
        attempts.attacking_stop_number,
        attempts.attacking_stop_lap,
        attempts.target_driver_number,
        attempts.target_driver_id,
        attempts.target_stop_lap,
        attempts.attacking_position_before,
        attacker_after.position_at_lap_end as attacking_position_after,
        target_after.position_at_lap_end as target_position_after,
        attempts.target_stop_lap + 1 as decided_on_lap,
        case
            when attacker_after.position_at_lap_end is null or target_after.position_at_lap_end is null
                then 'unknown'
            when attacker_after.position_at_lap_end < target_after.position_at_lap_end then 'success'
            else 'failure'
        end as outcome
    from attempts
    left outer join laps as attacker_after
        on
            attempts.session_key = attacker_after.session_key
            and attempts.attacking_driver_number = attacker_after.driver_number
            and attempts.target_stop_lap + 1 = attacker_after.lap_number
    left outer join laps as target_after
        on
            attempts.session_key = target_after.session_key
            and attempts.target_driver_number = target_after.driver_number
            and attempts.target_stop_lap + 1 = target_after.lap_number

)

select * from outcomes
