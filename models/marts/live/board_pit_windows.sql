{#-
    The pit window and the undercut threat of every car in every race and sprint, one row per
    (session_key, driver_number) of board_running_order.
    - Pit window: the circuit's green pit loss (macros/race_pit_loss.sql over marts.pit_loss_by_track_status:
      the session's season, else the circuit's latest earlier one) and where the car would rejoin if it pitted
      now: 1 + the running cars (not has_stopped) on the lead lap (no gap_to_leader_laps) whose gap to the leader is below the car's own
      plus the pit loss (rejoin_position; positions_lost = rejoin_position - position). Null when the car's gap
      or the pit loss is unknown, or the car is a lap or more down or has stopped.
    - Undercut: marts.fct_undercut_chances at the session's latest lap it has (undercut_lap_number): the car's
      chance of undercutting the car ahead (as attacker) and the chance the car behind undercuts it (threat).
      fct_undercut_chances is rebuilt by the live_strategy selector, less often than the board: these columns
      show what it last said.
-#}
with

sessions as (

    select
        session_key,
        circuit_key,
        season
    from {{ ref('stg_openf1__sessions') }}
    where session_kind in ('race', 'sprint')

),

running_order as (

    select
        session_key,
        driver_number,
        position,
        gap_to_leader_s,
        gap_to_leader_laps,
        has_stopped
    from {{ ref('board_running_order') }}

),

green_pit_losses as (

    select
        circuit_key,
        season,
        median_pit_loss_s
    from {{ ref('pit_loss_by_track_status') }}
    where
        track_status = 'green'
        and median_pit_loss_s is not null

),

undercut_chances as (

    select
        session_key,
        lap_number,
        driver_number,
        ahead_driver_number,
        undercut_chance
    from {{ ref('fct_undercut_chances') }}

),

session_pit_losses_ranked as (

    {{ race_pit_losses_ranked('sessions', 'green_pit_losses') }}

),

session_pit_losses as (

    select
        session_key,
        pit_loss_season,
        pit_loss_s
    from session_pit_losses_ranked
    where recency = 1

),

cars as (

    select
        running_order.session_key,
        running_order.driver_number,
        running_order.position,  -- noqa: RF04
        session_pit_losses.pit_loss_s,
        session_pit_losses.pit_loss_season,
        case
            when running_order.gap_to_leader_laps is null and not running_order.has_stopped
                then running_order.gap_to_leader_s
        end as lead_lap_gap_s
    from running_order
    inner join sessions
        on running_order.session_key = sessions.session_key
    left outer join session_pit_losses
        on running_order.session_key = session_pit_losses.session_key

),

rejoins as (

    select
        cars.session_key,
        cars.driver_number,
        1 + count(other_cars.driver_number) as rejoin_position
    from cars
    left outer join cars as other_cars
        on
            cars.session_key = other_cars.session_key
            and cars.driver_number != other_cars.driver_number
            and other_cars.lead_lap_gap_s < cars.lead_lap_gap_s + cars.pit_loss_s
    where
        cars.lead_lap_gap_s is not null
        and cars.pit_loss_s is not null
    group by cars.session_key, cars.driver_number

),

latest_undercut_laps as (

    select
        session_key,
        max(lap_number) as lap_number
    from undercut_chances
    group by session_key

),

latest_undercuts as (

    select
        undercut_chances.session_key,
        undercut_chances.lap_number,
        undercut_chances.driver_number,
        undercut_chances.ahead_driver_number,
        undercut_chances.undercut_chance
    from undercut_chances
    inner join latest_undercut_laps
        on
            undercut_chances.session_key = latest_undercut_laps.session_key
            and undercut_chances.lap_number = latest_undercut_laps.lap_number

),

final as (

    select
        cars.session_key,
        cars.driver_number,
        cars.position,  -- noqa: RF04
        cast(cars.pit_loss_s as {{ type_double() }}) as pit_loss_s,
        cars.pit_loss_season,
        cast(rejoins.rejoin_position as {{ dbt.type_int() }}) as rejoin_position,
        cast(rejoins.rejoin_position - cars.position as {{ dbt.type_int() }}) as positions_lost,
        latest_undercut_laps.lap_number as undercut_lap_number,
        attacks.ahead_driver_number as undercut_target_driver_number,
        cast(attacks.undercut_chance as {{ type_double() }}) as undercut_chance,
        threats.driver_number as undercut_threat_driver_number,
        cast(threats.undercut_chance as {{ type_double() }}) as undercut_threat_chance
    from cars
    left outer join rejoins
        on
            cars.session_key = rejoins.session_key
            and cars.driver_number = rejoins.driver_number
    left outer join latest_undercut_laps
        on cars.session_key = latest_undercut_laps.session_key
    left outer join latest_undercuts as attacks
        on
            cars.session_key = attacks.session_key
            and cars.driver_number = attacks.driver_number
    left outer join latest_undercuts as threats
        on
            cars.session_key = threats.session_key
            and cars.driver_number = threats.ahead_driver_number

)

select * from final
