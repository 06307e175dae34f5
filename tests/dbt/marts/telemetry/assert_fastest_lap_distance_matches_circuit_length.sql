{#-
    Each fastest lap's integrated distance (fct_fastest_lap_telemetry.lap_distance_m) ends within
    var telemetry_lap_length_tolerance (a share) of its circuit's official lap length (seed circuit_lengths).
    Circuits the seed lacks are not checked. Returns the laps outside the band.
-#}
with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        distance_source,
        lap_distance_m,
        circuit_lap_length_m
    from {{ ref('fct_fastest_lap_telemetry') }}
    where sample_index = 0

)

select *
from laps
where
    circuit_lap_length_m is not null
    and abs(lap_distance_m - circuit_lap_length_m) > {{ var('telemetry_lap_length_tolerance') }} * circuit_lap_length_m
