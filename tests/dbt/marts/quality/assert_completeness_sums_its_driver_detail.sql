{#-
    The session mart's missing laps and stops are the sums of session_driver_data_completeness, session by
    session: the two marts tell the same story (a session-level gap always has its drivers in the detail).
-#}
with

sessions as (

    select
        session_key,
        endpoint,
        laps_missing,
        pit_stops_missing,
        stint_changes_missing
    from {{ ref('session_data_completeness') }}
    where endpoint in ('laps', 'pit', 'stints')

),

drivers as (

    select
        session_key,
        coalesce(sum(laps_missing), 0) as laps_missing,
        coalesce(sum(pit_stops_missing), 0) as pit_stops_missing,
        coalesce(sum(stint_changes_missing), 0) as stint_changes_missing
    from {{ ref('session_driver_data_completeness') }}
    group by session_key

)

select
    sessions.session_key,
    sessions.endpoint,
    sessions.laps_missing,
    sessions.pit_stops_missing,
    sessions.stint_changes_missing,
    drivers.laps_missing as driver_laps_missing,
    drivers.pit_stops_missing as driver_pit_stops_missing,
    drivers.stint_changes_missing as driver_stint_changes_missing
from sessions
left outer join drivers
    on sessions.session_key = drivers.session_key
where
    (sessions.endpoint = 'laps' and coalesce(sessions.laps_missing, 0) != coalesce(drivers.laps_missing, 0))
    or (sessions.endpoint = 'pit' and coalesce(sessions.pit_stops_missing, 0) != coalesce(drivers.pit_stops_missing, 0))
    or (
        sessions.endpoint = 'stints'
        and coalesce(sessions.stint_changes_missing, 0) != coalesce(drivers.stint_changes_missing, 0)
    )
