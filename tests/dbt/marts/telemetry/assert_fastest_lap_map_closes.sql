{#-
    The map of each fastest lap closes on itself: its first and last x/y (fct_fastest_lap_telemetry, decimetres)
    lie within var telemetry_map_closure_tolerance of the lap's distance of each other. Returns the laps whose
    ends lie further apart.
-#}
with

samples as (

    select
        session_key,
        driver_number,
        sample_index,
        lap_distance_m,
        x_position,
        y_position,
        max(sample_index) over (partition by session_key, driver_number) as last_sample_index
    from {{ ref('fct_fastest_lap_telemetry') }}
    where x_position is not null

),

first_samples as (

    select * from samples
    where sample_index = 0

),

last_samples as (

    select * from samples
    where sample_index = last_sample_index

),

ends as (

    select
        first_samples.session_key,
        first_samples.driver_number,
        first_samples.lap_distance_m,
        sqrt(
            power(last_samples.x_position - first_samples.x_position, 2)
            + power(last_samples.y_position - first_samples.y_position, 2)
        ) / 10 as gap_m
    from first_samples
    inner join last_samples
        on
            first_samples.session_key = last_samples.session_key
            and first_samples.driver_number = last_samples.driver_number

)

select *
from ends
where gap_m > {{ var('telemetry_map_closure_tolerance') }} * lap_distance_m
