{#- Car positions, one row per (session_key, driver_number, recorded_at): an incremental table built by
    macros/telemetry_staging.sql (each session's newest complete load, deduplicated by latest_load_rows). -#}
{{ telemetry_staging('openf1', 'location', {
    'x': 'x_position',
    'y': 'y_position',
    'z': 'z_position',
}) }}
