{#-
    The race-time model's laps: one row per lap of the race distance of every Grand Prix, with the track status
    the field ran it under, the field's time for it when neutralised, and what a stop at the end of it costs:
    plan_pit_loss_s (the green loss: 'plan' mode does not know the neutralisations) and pit_loss_s (under the
    lap's real status: 'hindsight' mode). The strategy search, the backtest and make whatif read it.
-#}
with

laps as (

    select
        session_key,
        lap_number,
        track_status,
        neutralised_lap_duration_s
    from {{ ref('int_race_laps_classified') }}

),

pit_losses as (

    select
        session_key,
        track_status,
        pit_loss_s,
        pit_loss_source
    from {{ ref('int_race_pit_losses_resolved') }}

),

wet_races as (

    select distinct session_key
    from {{ ref('fct_stints') }}
    where compound in ('INTERMEDIATE', 'WET')

),

sessions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        circuit_key,
        circuit_short_name
    from {{ ref('dim_sessions') }}

),

final as (

    select
        laps.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.round_number,
        sessions.circuit_key,
        sessions.circuit_short_name,
        laps.lap_number,
        laps.track_status,
        laps.neutralised_lap_duration_s,
        green_losses.pit_loss_s as plan_pit_loss_s,
        status_losses.pit_loss_s,
        status_losses.pit_loss_source,
        wet_races.session_key is not null as is_wet_race,
        max(case when laps.track_status = 'red' then 1 else 0 end) over (partition by laps.session_key) = 1
            as has_red_flag
    from laps
    inner join sessions
        on laps.session_key = sessions.session_key
    left outer join pit_losses as green_losses
        on
            laps.session_key = green_losses.session_key
            and green_losses.track_status = 'green'
    left outer join pit_losses as status_losses
        on
            laps.session_key = status_losses.session_key
            and laps.track_status = status_losses.track_status
    left outer join wet_races
        on laps.session_key = wet_races.session_key

)

select * from final
