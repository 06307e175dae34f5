{#-
    What a Grand Prix race stop costs, one row per (circuit_key, season, track_status) of the stops in
    fct_pit_losses ('green', 'vsc', 'sc' at pit entry). A stop counts when its pit_loss_s is known and inside the
    band vars pit_loss_min_s .. pit_loss_max_s (outside: a timing glitch, a repair or a drive-through-like
    visit); the others are counted apart. Medians and quartiles through macros/percentile.sql.
-#}
with

pit_losses as (

    select
        circuit_key,
        season,
        track_status_at_stop,
        pit_loss_s
    from {{ ref('fct_pit_losses') }}

),

circuits as (

    select
        circuit_key,
        circuit_short_name
    from {{ ref('dim_circuits') }}

),

pit_losses_banded as (

    select
        circuit_key,
        season,
        track_status_at_stop as track_status,
        pit_loss_s is not null as has_pit_loss,
        case
            when pit_loss_s between {{ var('pit_loss_min_s') }} and {{ var('pit_loss_max_s') }} then pit_loss_s
        end as counted_pit_loss_s
    from pit_losses
    where circuit_key is not null

),

by_track_status as (

    select
        circuit_key,
        season,
        track_status,
        count(counted_pit_loss_s) as stops,
        count(case when not has_pit_loss then 1 end) as stops_without_pit_loss,
        count(case when has_pit_loss and counted_pit_loss_s is null then 1 end) as stops_outside_band,
        {{ percentile('counted_pit_loss_s', 0.5) }} as median_pit_loss_s,
        {{ percentile('counted_pit_loss_s', 0.25) }} as p25_pit_loss_s,
        {{ percentile('counted_pit_loss_s', 0.75) }} as p75_pit_loss_s,
        min(counted_pit_loss_s) as min_pit_loss_s,
        max(counted_pit_loss_s) as max_pit_loss_s,
        avg(counted_pit_loss_s) as mean_pit_loss_s
    from pit_losses_banded
    group by circuit_key, season, track_status

),

final as (

    select
        by_track_status.circuit_key,
        circuits.circuit_short_name,
        by_track_status.season,
        by_track_status.track_status,
        by_track_status.stops,
        by_track_status.stops_without_pit_loss,
        by_track_status.stops_outside_band,
        by_track_status.median_pit_loss_s,
        by_track_status.p25_pit_loss_s,
        by_track_status.p75_pit_loss_s,
        by_track_status.min_pit_loss_s,
        by_track_status.max_pit_loss_s,
        by_track_status.mean_pit_loss_s,
        by_track_status.p75_pit_loss_s - by_track_status.p25_pit_loss_s as iqr_pit_loss_s,
        by_track_status.median_pit_loss_s / nullif(max(
            case when by_track_status.track_status = 'green' then by_track_status.median_pit_loss_s end
        ) over (partition by by_track_status.circuit_key, by_track_status.season), 0) as ratio_to_green
    from by_track_status
    left outer join circuits
        on by_track_status.circuit_key = circuits.circuit_key

)

select * from final
