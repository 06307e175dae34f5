{#-
    Per session and driver: what OpenF1 sent for the driver against what the classification implies. Laps: the
    laps 1..laps_completed of the classification that have a lap row (a retirement's unfinished lap is not
    counted). Stints and pit stops, in races and sprints: a stint change (stint 2 on) or a pit stop counts only
    when the driver went back out on track after it: the stint starts no later than the last lap he drove (his
    completed laps, plus the unfinished lap of a retirement), the pit in-lap is before it. So tyres fitted after
    the chequered flag (Belgium 2024) are no stop, nor is a lap-1 retirement into the pits whose stint and pit
    rows carry no lap (Qatar 2024); the stints and pit rows are compared under the same rule.
    session_data_completeness sums these per session and endpoint.
-#}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_kind
    from {{ ref('dim_sessions') }}

),

session_results as (

    select
        session_key,
        driver_number,
        laps_completed,
        is_retired
    from {{ ref('int_session_results_classified') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code
    from {{ ref('int_drivers_identified') }}

),

laps as (

    select
        session_key,
        driver_number,
        lap_number
    from {{ ref('stg_openf1__laps') }}

),

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        first_lap_number,
        compound
    from {{ ref('stg_openf1__stints') }}

),

pit_stops as (

    select
        session_key,
        driver_number,
        lap_number
    from {{ ref('stg_openf1__pit_stops') }}

),

-- the last lap a driver drove on: his completed laps, and the unfinished lap of a retirement
classification as (

    select
        session_key,
        driver_number,
        laps_completed,
        laps_completed + case when is_retired then 1 else 0 end as last_lap_driven
    from session_results

),

-- every driver any of the five endpoints names for the session
driver_appearances as (

    select
        session_key,
        driver_number
    from session_results
    union all
    select
        session_key,
        driver_number
    from drivers
    union all
    select
        session_key,
        driver_number
    from laps
    union all
    select
        session_key,
        driver_number
    from stints
    union all
    select
        session_key,
        driver_number
    from pit_stops

),

session_drivers as (

    select
        session_key,
        driver_number
    from driver_appearances
    where driver_number is not null
    group by session_key, driver_number

),

laps_by_driver as (

    select
        laps.session_key,
        laps.driver_number,
        count(*) as lap_rows,
        -- distinct: a lap sent twice is still one lap
        count(
            distinct case when laps.lap_number between 1 and session_results.laps_completed then laps.lap_number end
        ) as laps_received
    from laps
    left outer join session_results
        on
            laps.session_key = session_results.session_key
            and laps.driver_number = session_results.driver_number
    group by laps.session_key, laps.driver_number

),

stints_by_driver as (

    select
        stints.session_key,
        stints.driver_number,
        count(*) as stints_received,
        count(
            case when stints.compound is null or stints.compound in ('UNKNOWN', 'TEST_UNKNOWN') then 1 end
        ) as unknown_compound_stints,
        -- a stint starting after the last lap driven (tyres fitted after the flag) is no stop; a stint without
        -- a first lap is taken to start on lap 2, the earliest a second stint can
        count(
            case
                when
                    stints.stint_number > 1
                    and (
                        classification.last_lap_driven is null
                        or coalesce(stints.first_lap_number, 2) <= classification.last_lap_driven
                    )
                    then 1
            end
        ) as stint_changes
    from stints
    left outer join classification
        on
            stints.session_key = classification.session_key
            and stints.driver_number = classification.driver_number
    group by stints.session_key, stints.driver_number

),

pit_stops_by_driver as (

    select
        pit_stops.session_key,
        pit_stops.driver_number,
        -- the stint after a stop starts on the lap after the in-lap: the same rule as stint_changes (a pit row
        -- without a lap is taken to be on lap 1)
        count(
            case
                when
                    classification.last_lap_driven is null
                    or coalesce(pit_stops.lap_number, 1) < classification.last_lap_driven
                    then 1
            end
        ) as pit_stops
    from pit_stops
    left outer join classification
        on
            pit_stops.session_key = classification.session_key
            and pit_stops.driver_number = classification.driver_number
    group by pit_stops.session_key, pit_stops.driver_number

),

joined as (

    select
        session_drivers.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.session_name,
        sessions.session_kind,
        session_drivers.driver_number,
        drivers.driver_id,
        drivers.driver_code,
        session_results.laps_completed,
        session_results.driver_number is not null as is_classified,
        drivers.driver_number is not null as has_driver_row,
        sessions.session_kind in ('race', 'sprint') as is_race_session,
        coalesce(laps_by_driver.lap_rows, 0) as lap_rows,
        case
            when session_results.laps_completed is not null then coalesce(laps_by_driver.laps_received, 0)
        end as laps_received,
        coalesce(stints_by_driver.stints_received, 0) as stints_received,
        coalesce(stints_by_driver.unknown_compound_stints, 0) as unknown_compound_stints,
        coalesce(stints_by_driver.stint_changes, 0) as all_stint_changes,
        coalesce(pit_stops_by_driver.pit_stops, 0) as all_pit_stops
    from session_drivers
    inner join sessions
        on session_drivers.session_key = sessions.session_key
    left outer join session_results
        on
            session_drivers.session_key = session_results.session_key
            and session_drivers.driver_number = session_results.driver_number
    left outer join drivers
        on
            session_drivers.session_key = drivers.session_key
            and session_drivers.driver_number = drivers.driver_number
    left outer join laps_by_driver
        on
            session_drivers.session_key = laps_by_driver.session_key
            and session_drivers.driver_number = laps_by_driver.driver_number
    left outer join stints_by_driver
        on
            session_drivers.session_key = stints_by_driver.session_key
            and session_drivers.driver_number = stints_by_driver.driver_number
    left outer join pit_stops_by_driver
        on
            session_drivers.session_key = pit_stops_by_driver.session_key
            and session_drivers.driver_number = pit_stops_by_driver.driver_number

),

final as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_kind,
        driver_number,
        driver_id,
        driver_code,
        is_classified,
        laps_completed,
        has_driver_row,
        lap_rows,
        laps_received,
        stints_received,
        unknown_compound_stints,
        -- races and sprints: every classified lap needs its row; other sessions count laps by a timing convention
        -- OpenF1's lap rows are not proven to follow, so only a driver with no lap row at all is short of laps
        case
            when laps_completed is null then null
            when is_race_session then laps_completed - laps_received
            when lap_rows = 0 then laps_completed
            else 0
        end as laps_missing,
        case when is_race_session then all_stint_changes end as stint_changes,
        case when is_race_session then all_pit_stops end as pit_stops,
        case
            when is_race_session and all_stint_changes > all_pit_stops then all_stint_changes - all_pit_stops
            when is_race_session then 0
        end as pit_stops_missing,
        case
            when is_race_session and all_pit_stops > all_stint_changes then all_pit_stops - all_stint_changes
            when is_race_session then 0
        end as stint_changes_missing
    from joined

)

select * from final
