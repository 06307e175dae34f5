{#- Car telemetry, one row per (session_key, driver_number, recorded_at): an incremental table built by
    macros/telemetry_staging.sql (each session's newest complete load, deduplicated by latest_load_rows). -#}
{{ telemetry_staging('openf1', 'car_data', {
    'rpm': 'engine_rpm',
    'speed': 'speed_kph',
    'n_gear': 'gear',
    'throttle': 'throttle_pct',
    'brake': 'brake_pct',
    'drs': 'drs_code',
}) }}
