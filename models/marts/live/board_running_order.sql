{#-
    The running order of every session as its data stand, one row per (session_key, driver_number) of a car
    with a lap or a position: position, laps, last and best lap, gap to the leader and interval to the car
    ahead, tyres now, pit stops so far.
    Order: races and sprints by the car's latest position record (stg_openf1__positions), else by laps
    completed (most first) and the time the last of them was completed; qualifying and practice by best lap
    (fastest first; cars without a timed lap last, by car number). Ties: the car number.
    Gaps (gap_source): 'intervals' when the session has OpenF1 intervals (the car's latest row, as OpenF1
    sent it: the leader 0, '+N LAP(S)' as gap_*_laps); 'lap_crossings' in a race or sprint without them
    (OpenF1 does not serve intervals live): the time between the car's crossing of the line at the end of its
    latest completed lap L and the leader's (the car ahead's) crossing at the end of lap L; a car the other has
    lapped since (crossed the line at the end of a lap after L before this car completed L) gets the laps in
    gap_*_laps and a null gap_*_s, as OpenF1 does; 'best_lap' in qualifying and practice (best lap minus the
    leader's, the car ahead's). The derived_* columns always hold the lap-crossing figures (races and sprints),
    so both sources can be compared. A negative lap-crossing time is left null: the other car crossed the line at
    the end of lap L after this one (it was behind then: a pass since, or this car has stopped).
    has_stopped: in a race or sprint, the leader has completed more laps since the car's last completed lap than
    the car was laps down then, plus one: the car no longer completes laps (retired, or in the garage); its
    gaps are those of its last lap (OpenF1's intervals keep sending stale figures for such cars).
    Tyres: the stint covering the car's current lap (the latest stint when stints overlap), its age by
    macros/tyre_age.sql at the current lap. Pit stops: int_pit_stops_classified's 'race_stop' visits in races
    and sprints, every pit-lane visit elsewhere (its 'qualifying_run' / 'practice_run').
-#}
with

sessions as (

    select
        session_key,
        session_kind
    from {{ ref('stg_openf1__sessions') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_code,
        full_name,
        team_name,
        team_colour_hex
    from {{ ref('stg_openf1__drivers') }}

),

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        lap_duration_s,
        crossed_at,
        is_completed
    from {{ ref('board_laps') }}

),

positions as (

    select
        session_key,
        driver_number,
        recorded_at,
        position
    from {{ ref('stg_openf1__positions') }}

),

intervals as (

    select
        session_key,
        driver_number,
        recorded_at,
        gap_to_leader_s,
        gap_to_leader_laps,
        interval_s,
        interval_laps
    from {{ ref('stg_openf1__intervals') }}

),

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        first_lap_number,
        last_lap_number,
        compound,
        tyre_age_at_start_laps
    from {{ ref('stg_openf1__stints') }}

),

pit_visits as (

    select
        session_key,
        driver_number,
        stop_number,
        lap_number,
        lane_duration_s,
        stop_duration_s
    from {{ ref('int_pit_stops_sequenced') }}

),

pit_kinds as (

    select
        session_key,
        driver_number,
        stop_number,
        stop_kind
    from {{ ref('int_pit_stops_classified') }}

),

lap_summaries as (

    select
        session_key,
        driver_number,
        max(lap_number) as current_lap_number,
        max(case when is_completed then lap_number end) as laps_completed,
        min(lap_duration_s) as best_lap_s,
        max(case when lap_duration_s is not null then lap_number end) as last_timed_lap_number
    from laps
    group by session_key, driver_number

),

last_laps as (

    select
        lap_summaries.session_key,
        lap_summaries.driver_number,
        lap_summaries.current_lap_number,
        lap_summaries.laps_completed,
        lap_summaries.best_lap_s,
        timed.lap_duration_s as last_lap_s,
        completed.crossed_at as last_crossed_at
    from lap_summaries
    left outer join laps as timed
        on
            lap_summaries.session_key = timed.session_key
            and lap_summaries.driver_number = timed.driver_number
            and lap_summaries.last_timed_lap_number = timed.lap_number
    left outer join laps as completed
        on
            lap_summaries.session_key = completed.session_key
            and lap_summaries.driver_number = completed.driver_number
            and lap_summaries.laps_completed = completed.lap_number

),

latest_positions_ranked as (

    select
        session_key,
        driver_number,
        position,
        row_number() over (
            partition by session_key, driver_number order by recorded_at desc
        ) as recency
    from positions

),

latest_positions as (

    select
        session_key,
        driver_number,
        position
    from latest_positions_ranked
    where recency = 1

),

latest_intervals_ranked as (

    select
        session_key,
        driver_number,
        gap_to_leader_s,
        gap_to_leader_laps,
        interval_s,
        interval_laps,
        row_number() over (
            partition by session_key, driver_number order by recorded_at desc
        ) as recency
    from intervals

),

latest_intervals as (

    select
        session_key,
        driver_number,
        gap_to_leader_s,
        gap_to_leader_laps,
        interval_s,
        interval_laps
    from latest_intervals_ranked
    where recency = 1

),

interval_sessions as (

    select distinct session_key
    from intervals

),

cars as (

    select
        last_laps.session_key,
        last_laps.driver_number
    from last_laps
    union distinct
    select
        latest_positions.session_key,
        latest_positions.driver_number
    from latest_positions

),

cars_ranked as (

    select
        cars.session_key,
        cars.driver_number,
        sessions.session_kind,
        latest_positions.position as reported_position,
        last_laps.current_lap_number,
        last_laps.laps_completed,
        last_laps.last_lap_s,
        last_laps.best_lap_s,
        last_laps.last_crossed_at,
        case
            when sessions.session_kind not in ('race', 'sprint') then 'best_lap'
            when max(latest_positions.position) over (partition by cars.session_key) is not null
                then 'position'
            else 'laps'
        end as position_source
    from cars
    inner join sessions
        on cars.session_key = sessions.session_key
    left outer join latest_positions
        on
            cars.session_key = latest_positions.session_key
            and cars.driver_number = latest_positions.driver_number
    left outer join last_laps
        on
            cars.session_key = last_laps.session_key
            and cars.driver_number = last_laps.driver_number

),

ordered as (

    select
        session_key,
        driver_number,
        session_kind,
        position_source,
        current_lap_number,
        laps_completed,
        last_lap_s,
        best_lap_s,
        last_crossed_at,
        row_number() over (
            partition by session_key
            order by
                case when position_source = 'position' then reported_position end asc nulls last,
                case when position_source = 'laps' then laps_completed end desc nulls last,
                case when position_source = 'laps' then last_crossed_at end asc nulls last,
                case when position_source = 'best_lap' then best_lap_s end asc nulls last,
                driver_number asc
        ) as position  -- noqa: RF04
    from cars_ranked

),

with_rivals as (

    select
        ordered.session_key,
        ordered.driver_number,
        ordered.session_kind,
        ordered.position_source,
        ordered.position,
        ordered.current_lap_number,
        ordered.laps_completed,
        ordered.last_lap_s,
        ordered.best_lap_s,
        ordered.last_crossed_at,
        leader.driver_number as leader_driver_number,
        leader.best_lap_s as leader_best_lap_s,
        leader.laps_completed as leader_laps_completed,
        ahead.driver_number as ahead_driver_number,
        ahead.best_lap_s as ahead_best_lap_s
    from ordered
    inner join ordered as leader
        on
            ordered.session_key = leader.session_key
            and leader.position = 1
    left outer join ordered as ahead
        on
            ordered.session_key = ahead.session_key
            and ordered.position = ahead.position + 1

),

rival_kinds as (

    select 'leader' as rival_kind
    union all
    select 'ahead' as rival_kind

),

rival_crossings as (

    -- the rival's (leader's, car ahead's) crossing at the end of the car's latest completed lap, and the laps
    -- the rival completed after it by the time the car completed its own
    select
        with_rivals.session_key,
        with_rivals.driver_number,
        rivals.rival_kind,
        max(case when rival_laps.lap_number = with_rivals.laps_completed then rival_laps.crossed_at end)
            as rival_crossed_at,
        count(
            case
                when
                    rival_laps.lap_number > with_rivals.laps_completed
                    and rival_laps.crossed_at <= with_rivals.last_crossed_at
                    then 1
            end
        ) as laps_behind
    from with_rivals
    cross join rival_kinds as rivals
    inner join laps as rival_laps
        on
            with_rivals.session_key = rival_laps.session_key
            and case
                when rivals.rival_kind = 'leader' then with_rivals.leader_driver_number
                else with_rivals.ahead_driver_number
            end = rival_laps.driver_number
            and with_rivals.laps_completed <= rival_laps.lap_number
            and rival_laps.crossed_at is not null
    where
        with_rivals.session_kind in ('race', 'sprint')
        and with_rivals.last_crossed_at is not null
    group by with_rivals.session_key, with_rivals.driver_number, rivals.rival_kind

),

crossings as (

    select
        rival_crossings.session_key,
        rival_crossings.driver_number,
        rival_crossings.rival_kind,
        rival_crossings.laps_behind,
        {{ dbt.datediff('rival_crossings.rival_crossed_at', 'with_rivals.last_crossed_at', 'millisecond') }}
        / 1000.0 as behind_s
    from rival_crossings
    inner join with_rivals
        on
            rival_crossings.session_key = with_rivals.session_key
            and rival_crossings.driver_number = with_rivals.driver_number

),

derived_gaps as (

    select
        session_key,
        driver_number,
        max(case when rival_kind = 'leader' and laps_behind > 0 then laps_behind end) as gap_to_leader_laps,
        max(case when rival_kind = 'leader' and laps_behind = 0 and behind_s >= 0 then behind_s end)
            as gap_to_leader_s,
        max(case when rival_kind = 'ahead' and laps_behind > 0 then laps_behind end) as interval_laps,
        max(case when rival_kind = 'ahead' and laps_behind = 0 and behind_s >= 0 then behind_s end) as interval_s
    from crossings
    group by session_key, driver_number

),

current_stints_ranked as (

    select
        with_rivals.session_key,
        with_rivals.driver_number,
        stints.stint_number,
        stints.compound,
        {{ tyre_age_laps(
            'stints.tyre_age_at_start_laps', 'with_rivals.current_lap_number', 'stints.first_lap_number'
        ) }} as tyre_age_laps,
        row_number() over (
            partition by with_rivals.session_key, with_rivals.driver_number
            order by
                case
                    when
                        with_rivals.current_lap_number >= stints.first_lap_number
                        and with_rivals.current_lap_number
                        <= coalesce(stints.last_lap_number, with_rivals.current_lap_number)
                        then 0
                    else 1
                end,
                stints.stint_number desc
        ) as stint_rank
    from with_rivals
    inner join stints
        on
            with_rivals.session_key = stints.session_key
            and with_rivals.driver_number = stints.driver_number

),

current_stints as (

    select
        session_key,
        driver_number,
        stint_number,
        compound,
        tyre_age_laps
    from current_stints_ranked
    where stint_rank = 1

),

stops as (

    select
        pit_visits.session_key,
        pit_visits.driver_number,
        pit_visits.stop_number,
        pit_visits.lap_number,
        pit_visits.lane_duration_s,
        pit_visits.stop_duration_s
    from pit_visits
    inner join pit_kinds
        on
            pit_visits.session_key = pit_kinds.session_key
            and pit_visits.driver_number = pit_kinds.driver_number
            and pit_visits.stop_number = pit_kinds.stop_number
    where pit_kinds.stop_kind in ('race_stop', 'qualifying_run', 'practice_run')

),

stops_ranked as (

    select
        session_key,
        driver_number,
        lap_number,
        lane_duration_s,
        stop_duration_s,
        count(*) over (partition by session_key, driver_number) as pit_stops,
        row_number() over (partition by session_key, driver_number order by stop_number desc) as recency
    from stops

),

last_stops as (

    select
        session_key,
        driver_number,
        pit_stops,
        lap_number,
        lane_duration_s,
        stop_duration_s
    from stops_ranked
    where recency = 1

),

final as (

    select
        with_rivals.session_key,
        with_rivals.driver_number,
        cast(with_rivals.position as {{ dbt.type_int() }}) as position,  -- noqa: RF04
        with_rivals.position_source,
        drivers.driver_code,
        drivers.full_name,
        drivers.team_name,
        drivers.team_colour_hex,
        cast(coalesce(with_rivals.laps_completed, 0) as {{ dbt.type_int() }}) as laps_completed,
        cast(with_rivals.last_lap_s as {{ type_double() }}) as last_lap_s,
        cast(with_rivals.best_lap_s as {{ type_double() }}) as best_lap_s,
        case
            when with_rivals.session_kind not in ('race', 'sprint') then 'best_lap'
            when interval_sessions.session_key is not null then 'intervals'
            else 'lap_crossings'
        end as gap_source,
        cast(
            case
                when with_rivals.session_kind not in ('race', 'sprint')
                    then with_rivals.best_lap_s - with_rivals.leader_best_lap_s
                when interval_sessions.session_key is not null then latest_intervals.gap_to_leader_s
                when with_rivals.position = 1 then 0.0
                else derived_gaps.gap_to_leader_s
            end as {{ type_double() }}
        ) as gap_to_leader_s,
        cast(
            case
                when with_rivals.session_kind not in ('race', 'sprint') then null
                when interval_sessions.session_key is not null then latest_intervals.gap_to_leader_laps
                else derived_gaps.gap_to_leader_laps
            end as {{ dbt.type_int() }}
        ) as gap_to_leader_laps,
        cast(
            case
                when with_rivals.session_kind not in ('race', 'sprint')
                    then with_rivals.best_lap_s - with_rivals.ahead_best_lap_s
                when interval_sessions.session_key is not null then latest_intervals.interval_s
                when with_rivals.position = 1 then 0.0
                else derived_gaps.interval_s
            end as {{ type_double() }}
        ) as interval_s,
        cast(
            case
                when with_rivals.session_kind not in ('race', 'sprint') then null
                when interval_sessions.session_key is not null then latest_intervals.interval_laps
                else derived_gaps.interval_laps
            end as {{ dbt.type_int() }}
        ) as interval_laps,
        cast(
            case
                when with_rivals.session_kind not in ('race', 'sprint') then null
                when with_rivals.position = 1 then 0.0
                else derived_gaps.gap_to_leader_s
            end as {{ type_double() }}
        ) as derived_gap_to_leader_s,
        cast(derived_gaps.gap_to_leader_laps as {{ dbt.type_int() }}) as derived_gap_to_leader_laps,
        cast(
            case
                when with_rivals.session_kind not in ('race', 'sprint') then null
                when with_rivals.position = 1 then 0.0
                else derived_gaps.interval_s
            end as {{ type_double() }}
        ) as derived_interval_s,
        cast(derived_gaps.interval_laps as {{ dbt.type_int() }}) as derived_interval_laps,
        with_rivals.ahead_driver_number,
        coalesce(
            with_rivals.session_kind in ('race', 'sprint')
            and with_rivals.leader_laps_completed - coalesce(with_rivals.laps_completed, 0)
            > coalesce(derived_gaps.gap_to_leader_laps, 0) + 1,
            false
        ) as has_stopped,
        cast(current_stints.stint_number as {{ dbt.type_int() }}) as stint_number,
        current_stints.compound,
        cast(current_stints.tyre_age_laps as {{ dbt.type_int() }}) as tyre_age_laps,
        cast(coalesce(last_stops.pit_stops, 0) as {{ dbt.type_int() }}) as pit_stops,
        cast(last_stops.lap_number as {{ dbt.type_int() }}) as last_pit_lap_number,
        cast(last_stops.lane_duration_s as {{ type_double() }}) as last_pit_lane_duration_s,
        cast(last_stops.stop_duration_s as {{ type_double() }}) as last_pit_stop_duration_s
    from with_rivals
    left outer join drivers
        on
            with_rivals.session_key = drivers.session_key
            and with_rivals.driver_number = drivers.driver_number
    left outer join interval_sessions
        on with_rivals.session_key = interval_sessions.session_key
    left outer join latest_intervals
        on
            with_rivals.session_key = latest_intervals.session_key
            and with_rivals.driver_number = latest_intervals.driver_number
    left outer join derived_gaps
        on
            with_rivals.session_key = derived_gaps.session_key
            and with_rivals.driver_number = derived_gaps.driver_number
    left outer join current_stints
        on
            with_rivals.session_key = current_stints.session_key
            and with_rivals.driver_number = current_stints.driver_number
    left outer join last_stops
        on
            with_rivals.session_key = last_stops.session_key
            and with_rivals.driver_number = last_stops.driver_number

)

select * from final
