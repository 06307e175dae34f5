{#-
    A race stop is a pit stop in the strategic sense: a few seconds stationary, some 15-40 s in the lane. A red-flag
    entry left among them (the field waiting in the lane for tens of minutes) shows as a lane time of minutes:
    team_performance and pit_loss_by_circuit would average it in. Repairs and retirements in the pits happen, so
    this warns on a few and errors on many.
-#}
{{ config(severity='error', warn_if='>0', error_if='>20') }}

select
    session_key,
    driver_number,
    stop_number,
    lane_duration_s
from {{ ref('fct_pit_stops') }}
where
    stop_kind = 'race_stop'
    and lane_duration_s > 300
