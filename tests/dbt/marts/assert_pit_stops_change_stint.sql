{#-
    Every race pit stop should start a new stint. OpenF1 often omits a driver's last stint, and lists pit-lane
    entries of cars that retire in the pits, so this warns; it errors only beyond a systematic share.
-#}
{{ config(severity='error', warn_if='>0', error_if='>500') }}

select
    session_key,
    driver_number,
    stop_number,
    lap_number
from {{ ref('fct_pit_stops') }}
where
    session_name = 'Race'
    and not has_stint_change
