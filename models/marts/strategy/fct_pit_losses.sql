{#-
    One row per Grand Prix race stop (fct_pit_stops: session_kind 'race', stop_kind 'race_stop'): the time the
    stop cost against staying out, pit_loss_s = in-lap + out-lap - reference in-lap - reference out-lap. The
    stationary time is inside the in-lap and out-lap (the timing line crosses the pit lane), so it is part of
    pit_loss_s, never added again. The in-lap is the stop's lap_number, the out-lap the next one.
    The reference, at that point of the race with fuel and tyre age accounted for:
    - a green stop: from the driver's representative laps on a dry compound (int_laps_representative, the one
      definition the tyre model reads too: clean, ending under green, tyres that suit the weather, within 107 %
      of the session's fastest clean lap) of the stint before (laps after the previous race stop's
      in-lap, before this in-lap) for the in-lap, and of the stint after (after the out-lap, before the next race
      stop's in-lap) for the out-lap: the least-squares line of lap time on lap number over the nearest var
      pit_loss_reference_laps of them (less any slower than the fastest of them by more than var
      pit_loss_reference_max_gap_s), read at the in-lap / out-lap number (within a stint fuel burn and tyre
      age move together with the lap number, so the line carries both); one lap only: its time; none: null.
    - a stop under VSC or SC (the laps are neutralised): the loss counts the in-lap, the out-lap and the lap
      after it (the rejoin lap: under a safety car the cars that stayed out close up on the queue while the
      pitting car runs its out-lap, and the pitting car closes up on the lap after, so stopping the count at the
      out-lap would charge the stop with time it wins back), each against the median time of that lap over the
      var pit_loss_neighbour_cars cars nearest on the road (started the in-lap closest in time) that stayed out
      (no pit entry or exit) through the three laps: the loss against staying out under the same
      neutralisation. Nearest on the road, not the whole field: a neutralisation reaches each car at a
      different point of its lap and a safety car's queue forms from the front, so the whole field's lap N
      mixes cars already slowed with cars still at speed or closing up.
-#}
with

pit_stops as (

    select
        session_key,
        meeting_key,
        season,
        circuit_key,
        driver_number,
        driver_id,
        team_name,
        stop_number,
        lap_number,
        track_status_at_stop,
        compound_before,
        compound_after,
        lane_duration_s,
        stop_duration_s
    from {{ ref('fct_pit_stops') }}
    where
        session_kind = 'race'
        and stop_kind = 'race_stop'

),

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        lap_duration_s,
        compound,
        is_pit_in_lap,
        is_pit_out_lap
    from {{ ref('fct_laps') }}

),

race_sessions as (

    select distinct session_key
    from pit_stops

),

race_laps as (

    select
        laps.session_key,
        laps.driver_number,
        laps.lap_number,
        laps.started_at,
        laps.lap_duration_s,
        laps.compound,
        laps.is_pit_in_lap,
        laps.is_pit_out_lap
    from laps
    inner join race_sessions
        on laps.session_key = race_sessions.session_key

),

stop_windows as (

    -- the stint before a stop runs from the previous race stop's in-lap, the stint after to the next one's
    select
        session_key,
        driver_number,
        stop_number,
        lap_number as in_lap_number,
        lap_number + 1 as out_lap_number,
        lap_number + 2 as rejoin_lap_number,
        coalesce(
            lag(lap_number) over (partition by session_key, driver_number order by stop_number), 0
        ) as previous_in_lap_number,
        lead(lap_number) over (partition by session_key, driver_number order by stop_number) as next_in_lap_number
    from pit_stops

),

representative_laps as (

    select
        session_key,
        driver_number,
        lap_number,
        lap_duration_s
    from {{ ref('int_laps_representative') }}
    where
        is_representative_lap
        and compound in ('SOFT', 'MEDIUM', 'HARD')

),

stint_laps as (

    -- each stop's candidate reference laps: 'in' from the stint before, 'out' from the stint after, ranked
    -- nearest first (lap numbers are unique per driver: a total order)
    select
        stop_windows.session_key,
        stop_windows.driver_number,
        stop_windows.stop_number,
        'in' as side,
        stop_windows.in_lap_number as target_lap_number,
        representative_laps.lap_number,
        representative_laps.lap_duration_s,
        row_number() over (
            partition by stop_windows.session_key, stop_windows.driver_number, stop_windows.stop_number
            order by representative_laps.lap_number desc
        ) as nearness_rank
    from stop_windows
    inner join representative_laps
        on
            stop_windows.session_key = representative_laps.session_key
            and stop_windows.driver_number = representative_laps.driver_number
            and stop_windows.previous_in_lap_number < representative_laps.lap_number
            and stop_windows.in_lap_number > representative_laps.lap_number

    union all

    select
        stop_windows.session_key,
        stop_windows.driver_number,
        stop_windows.stop_number,
        'out' as side,
        stop_windows.out_lap_number as target_lap_number,
        representative_laps.lap_number,
        representative_laps.lap_duration_s,
        row_number() over (
            partition by stop_windows.session_key, stop_windows.driver_number, stop_windows.stop_number
            order by representative_laps.lap_number asc
        ) as nearness_rank
    from stop_windows
    inner join representative_laps
        on
            stop_windows.session_key = representative_laps.session_key
            and stop_windows.driver_number = representative_laps.driver_number
            and stop_windows.out_lap_number < representative_laps.lap_number
            and (
                stop_windows.next_in_lap_number is null
                or stop_windows.next_in_lap_number > representative_laps.lap_number
            )

),

nearest_stint_laps as (

    -- the nearest var pit_loss_reference_laps, less any slower than the fastest of them by more than var
    -- pit_loss_reference_max_gap_s (a lap in traffic, a mistake, a car slowing to retire: clean but not its pace)
    select
        session_key,
        driver_number,
        stop_number,
        side,
        target_lap_number,
        lap_number,
        lap_duration_s,
        min(lap_duration_s) over (partition by session_key, driver_number, stop_number, side) as fastest_lap_s
    from stint_laps
    where nearness_rank <= {{ var('pit_loss_reference_laps') }}

),

stint_trends as (

    -- least squares of lap time on lap number, read at the target lap: mean + slope * (target - mean lap), the
    -- slope's parts spelt once (macros/degradation.sql comoment); one lap (or one lap number) has no slope: its
    -- mean. Not the degradation slope (lap time on tyre age).
    select
        session_key,
        driver_number,
        stop_number,
        side,
        count(*) as reference_laps,
        case
            when count(*) >= 2 and var_pop(lap_number) > 0
                then
                    avg(lap_duration_s)
                    + {{ comoment('lap_duration_s', 'lap_number') }} / {{ comoment('lap_number', 'lap_number') }}
                    * (max(target_lap_number) - avg(lap_number))
            else avg(lap_duration_s)
        end as reference_lap_s
    from nearest_stint_laps
    where lap_duration_s <= fastest_lap_s + {{ var('pit_loss_reference_max_gap_s') }}
    group by session_key, driver_number, stop_number, side

),

stayed_out_laps as (

    -- a car's lap and the two after it, all timed, with no pit entry or exit on any: it stayed out through them
    select
        this_laps.session_key,
        this_laps.driver_number,
        this_laps.lap_number,
        this_laps.started_at,
        this_laps.lap_duration_s,
        next_laps.lap_duration_s as next_lap_duration_s,
        after_laps.lap_duration_s as after_lap_duration_s
    from race_laps as this_laps
    inner join race_laps as next_laps
        on
            this_laps.session_key = next_laps.session_key
            and this_laps.driver_number = next_laps.driver_number
            and this_laps.lap_number + 1 = next_laps.lap_number
    inner join race_laps as after_laps
        on
            this_laps.session_key = after_laps.session_key
            and this_laps.driver_number = after_laps.driver_number
            and this_laps.lap_number + 2 = after_laps.lap_number
    where
        this_laps.lap_duration_s is not null
        and next_laps.lap_duration_s is not null
        and after_laps.lap_duration_s is not null
        and not this_laps.is_pit_in_lap
        and not this_laps.is_pit_out_lap
        and not next_laps.is_pit_in_lap
        and not next_laps.is_pit_out_lap
        and not after_laps.is_pit_in_lap
        and not after_laps.is_pit_out_lap

),

neutralised_stops as (

    select
        stop_windows.session_key,
        stop_windows.driver_number,
        stop_windows.stop_number,
        stop_windows.in_lap_number,
        in_laps.started_at as in_lap_started_at
    from stop_windows
    inner join pit_stops
        on
            stop_windows.session_key = pit_stops.session_key
            and stop_windows.driver_number = pit_stops.driver_number
            and stop_windows.stop_number = pit_stops.stop_number
    inner join race_laps as in_laps
        on
            stop_windows.session_key = in_laps.session_key
            and stop_windows.driver_number = in_laps.driver_number
            and stop_windows.in_lap_number = in_laps.lap_number
    where pit_stops.track_status_at_stop in ('vsc', 'sc')

),

neighbour_laps as (

    -- the cars that stayed out, nearest on the road first: the smallest gap between the starts of the in-lap
    -- (ties: the lower car number, a total order)
    select
        neutralised_stops.session_key,
        neutralised_stops.driver_number,
        neutralised_stops.stop_number,
        stayed_out_laps.lap_duration_s,
        stayed_out_laps.next_lap_duration_s,
        stayed_out_laps.after_lap_duration_s,
        row_number() over (
            partition by neutralised_stops.session_key, neutralised_stops.driver_number, neutralised_stops.stop_number
            order by
                abs({{ dbt.datediff(
                    'neutralised_stops.in_lap_started_at', 'stayed_out_laps.started_at', 'millisecond'
                ) }}),
                stayed_out_laps.driver_number
        ) as nearness_rank
    from neutralised_stops
    inner join stayed_out_laps
        on
            neutralised_stops.session_key = stayed_out_laps.session_key
            and neutralised_stops.in_lap_number = stayed_out_laps.lap_number
            and neutralised_stops.driver_number != stayed_out_laps.driver_number

),

neighbour_references as (

    select
        session_key,
        driver_number,
        stop_number,
        count(*) as reference_laps,
        {{ percentile('lap_duration_s', 0.5) }} as reference_in_lap_s,
        {{ percentile('next_lap_duration_s', 0.5) }} as reference_out_lap_s,
        {{ percentile('after_lap_duration_s', 0.5) }} as reference_rejoin_lap_s
    from neighbour_laps
    where nearness_rank <= {{ var('pit_loss_neighbour_cars') }}
    group by session_key, driver_number, stop_number

),

stops_with_laps as (

    select
        pit_stops.session_key,
        pit_stops.meeting_key,
        pit_stops.season,
        pit_stops.circuit_key,
        pit_stops.driver_number,
        pit_stops.driver_id,
        pit_stops.team_name,
        pit_stops.stop_number,
        stop_windows.in_lap_number,
        stop_windows.out_lap_number,
        pit_stops.track_status_at_stop,
        pit_stops.compound_before,
        pit_stops.compound_after,
        pit_stops.lane_duration_s,
        pit_stops.stop_duration_s,
        in_laps.lap_duration_s as in_lap_duration_s,
        out_laps.lap_duration_s as out_lap_duration_s,
        in_trends.reference_lap_s as trend_in_lap_s,
        out_trends.reference_lap_s as trend_out_lap_s,
        neighbour_references.reference_in_lap_s as neighbour_in_lap_s,
        neighbour_references.reference_out_lap_s as neighbour_out_lap_s,
        neighbour_references.reference_rejoin_lap_s as neighbour_rejoin_lap_s,
        coalesce(in_trends.reference_laps, 0) as trend_in_laps,
        coalesce(out_trends.reference_laps, 0) as trend_out_laps,
        coalesce(neighbour_references.reference_laps, 0) as neighbour_laps,
        pit_stops.track_status_at_stop in ('vsc', 'sc') as is_neutralised,
        -- the lap after the out-lap counts for neutralised stops only
        case when pit_stops.track_status_at_stop in ('vsc', 'sc') then rejoin_laps.lap_duration_s end
            as rejoin_lap_duration_s
    from pit_stops
    inner join stop_windows
        on
            pit_stops.session_key = stop_windows.session_key
            and pit_stops.driver_number = stop_windows.driver_number
            and pit_stops.stop_number = stop_windows.stop_number
    left outer join race_laps as in_laps
        on
            stop_windows.session_key = in_laps.session_key
            and stop_windows.driver_number = in_laps.driver_number
            and stop_windows.in_lap_number = in_laps.lap_number
    left outer join race_laps as out_laps
        on
            stop_windows.session_key = out_laps.session_key
            and stop_windows.driver_number = out_laps.driver_number
            and stop_windows.out_lap_number = out_laps.lap_number
    left outer join race_laps as rejoin_laps
        on
            stop_windows.session_key = rejoin_laps.session_key
            and stop_windows.driver_number = rejoin_laps.driver_number
            and stop_windows.rejoin_lap_number = rejoin_laps.lap_number
    left outer join stint_trends as in_trends
        on
            stop_windows.session_key = in_trends.session_key
            and stop_windows.driver_number = in_trends.driver_number
            and stop_windows.stop_number = in_trends.stop_number
            and in_trends.side = 'in'
    left outer join stint_trends as out_trends
        on
            stop_windows.session_key = out_trends.session_key
            and stop_windows.driver_number = out_trends.driver_number
            and stop_windows.stop_number = out_trends.stop_number
            and out_trends.side = 'out'
    left outer join neighbour_references
        on
            stop_windows.session_key = neighbour_references.session_key
            and stop_windows.driver_number = neighbour_references.driver_number
            and stop_windows.stop_number = neighbour_references.stop_number

),

stops_referenced as (

    select
        *,
        case when is_neutralised then 'neighbour_median' else 'driver_stint_trend' end as reference_method,
        case when is_neutralised then neighbour_in_lap_s else trend_in_lap_s end as reference_in_lap_s,
        case when is_neutralised then neighbour_out_lap_s else trend_out_lap_s end as reference_out_lap_s,
        case when is_neutralised then neighbour_laps else trend_in_laps end as reference_in_laps,
        case when is_neutralised then neighbour_laps else trend_out_laps end as reference_out_laps,
        case when is_neutralised then neighbour_rejoin_lap_s end as reference_rejoin_lap_s
    from stops_with_laps

),

final as (

    select
        session_key,
        meeting_key,
        season,
        circuit_key,
        driver_number,
        driver_id,
        team_name,
        stop_number,
        in_lap_number,
        track_status_at_stop,
        compound_before,
        compound_after,
        in_lap_duration_s,
        out_lap_duration_s,
        rejoin_lap_duration_s,
        reference_method,
        reference_in_lap_s,
        reference_out_lap_s,
        reference_rejoin_lap_s,
        reference_in_laps,
        reference_out_laps,
        lane_duration_s,
        stop_duration_s,
        case
            when is_neutralised
                then
                    in_lap_duration_s + out_lap_duration_s + rejoin_lap_duration_s
                    - reference_in_lap_s - reference_out_lap_s - reference_rejoin_lap_s
            else in_lap_duration_s + out_lap_duration_s - reference_in_lap_s - reference_out_lap_s
        end as pit_loss_s,
        case
            when in_lap_duration_s is null then 'in_lap_untimed'
            when out_lap_duration_s is null then 'out_lap_untimed'
            when rejoin_lap_duration_s is null and is_neutralised then 'rejoin_lap_untimed'
            when reference_in_lap_s is null and is_neutralised then 'no_neighbour_stayed_out'
            when reference_in_lap_s is null then 'no_representative_lap_before'
            when reference_out_lap_s is null then 'no_representative_lap_after'
        end as pit_loss_missing_reason
    from stops_referenced

)

select * from final
