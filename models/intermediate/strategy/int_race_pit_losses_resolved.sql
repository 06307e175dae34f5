{#-
    One row per Grand Prix and track status a stop can be made under ('green', 'vsc', 'sc'; 'red' is priced as
    'sc'): the pit loss the race-time model charges for a stop, from marts.pit_loss_by_track_status when the
    circuit's median that season rests on var pit_loss_min_stops stops or more. Where it does not, its green loss scaled by the season's mean ratio of that
    status to green over the circuits that have both; where the circuit has no green stop, the season's mean
    green loss. pit_loss_source says which.
-#}
with

sessions as (

    select
        session_key,
        circuit_key,
        season
    from {{ ref('dim_sessions') }}
    where session_kind = 'race'

),

losses as (

    select
        circuit_key,
        season,
        track_status,
        median_pit_loss_s
    from {{ ref('pit_loss_by_track_status') }}
    where median_pit_loss_s is not null and stops >= {{ var('pit_loss_min_stops') }}

),

statuses as (

    select
        'green' as track_status,
        'green' as priced_as
    union all
    select
        'vsc' as track_status,
        'vsc' as priced_as
    union all
    select
        'sc' as track_status,
        'sc' as priced_as
    union all
    select
        'red' as track_status,
        'sc' as priced_as

),

green_losses as (

    select
        circuit_key,
        season,
        median_pit_loss_s as green_pit_loss_s
    from losses
    where track_status = 'green'

),

season_ratios as (

    select
        losses.season,
        losses.track_status,
        avg(losses.median_pit_loss_s / green_losses.green_pit_loss_s) as ratio_to_green
    from losses
    inner join green_losses
        on
            losses.circuit_key = green_losses.circuit_key
            and losses.season = green_losses.season
    where losses.track_status != 'green'
    group by losses.season, losses.track_status

),

season_green as (

    select
        season,
        avg(green_pit_loss_s) as green_pit_loss_s
    from green_losses
    group by season

),

final as (

    select
        sessions.session_key,
        statuses.track_status,
        case
            when losses.median_pit_loss_s is not null then losses.median_pit_loss_s
            when
                statuses.priced_as = 'green'
                then coalesce(green_losses.green_pit_loss_s, season_green.green_pit_loss_s)
            else
                coalesce(green_losses.green_pit_loss_s, season_green.green_pit_loss_s)
                * coalesce(season_ratios.ratio_to_green, 1.0)
        end as pit_loss_s,
        case
            when losses.median_pit_loss_s is not null then 'circuit'
            when green_losses.green_pit_loss_s is null and season_green.green_pit_loss_s is null then 'none'
            when statuses.priced_as = 'green' and green_losses.green_pit_loss_s is not null then 'circuit'
            when statuses.priced_as = 'green' then 'season'
            when season_ratios.ratio_to_green is not null then 'season_ratio'
            else 'green'
        end as pit_loss_source
    from sessions
    cross join statuses
    left outer join losses
        on
            sessions.circuit_key = losses.circuit_key
            and sessions.season = losses.season
            and statuses.priced_as = losses.track_status
    left outer join green_losses
        on
            sessions.circuit_key = green_losses.circuit_key
            and sessions.season = green_losses.season
    left outer join season_ratios
        on
            sessions.season = season_ratios.season
            and statuses.priced_as = season_ratios.track_status
    left outer join season_green
        on sessions.season = season_green.season

)

select * from final
