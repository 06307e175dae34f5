{#-
    The status of session_data_completeness says what its counts say: missing means an expected endpoint with no
    rows for the session while others have some; partial means rows arrived and a check found drivers, laps,
    stops or compounds missing; complete means nothing is missing (with no rows only for pit, when no stint
    change implied a stop); not_loaded means no rows, on an optional endpoint or one loaded for no session.
-#}
select
    session_key,
    endpoint,
    status,
    rows_received,
    drivers_missing,
    unknown_compound_stints
from {{ ref('session_data_completeness') }}
where
    case status
        when 'missing' then not (rows_received = 0 and is_expected and is_endpoint_loaded)
        when 'partial'
            then not (
                rows_received > 0
                and is_expected
                and (coalesce(drivers_missing, 0) > 0 or coalesce(unknown_compound_stints, 0) > 0)
            )
        when 'complete'
            then not (
                (rows_received > 0 or (endpoint = 'pit' and coalesce(stint_changes, 0) = 0))
                and coalesce(drivers_missing, 0) = 0
                and coalesce(unknown_compound_stints, 0) = 0
                and coalesce(laps_missing, 0) = 0
                and coalesce(pit_stops_missing, 0) = 0
            )
        when 'not_loaded' then not (rows_received = 0 and (not is_expected or not is_endpoint_loaded))
        else true
    end
