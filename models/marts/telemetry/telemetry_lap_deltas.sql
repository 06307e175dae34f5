{#-
    The running time delta along the lap of each compared pair (int_fastest_laps_paired): one row per (session,
    reference driver, compared driver, grid point) of fct_fastest_lap_distance_grid, delta_s = the compared
    lap's time at the point minus the reference lap's (positive: the compared driver is behind). At the last
    point it is the lap-time difference.
-#}
with

pairs as (

    select
        session_key,
        meeting_key,
        season,
        reference_driver_number,
        reference_driver_id,
        reference_driver_code,
        compared_driver_number,
        compared_driver_id,
        compared_driver_code,
        is_top_three_pair,
        is_teammate_pair
    from {{ ref('int_fastest_laps_paired') }}

),

distance_grid as (

    select
        session_key,
        driver_number,
        grid_index,
        lap_fraction,
        distance_m,
        elapsed_s
    from {{ ref('fct_fastest_lap_distance_grid') }}

),

final as (

    select
        pairs.session_key,
        pairs.meeting_key,
        pairs.season,
        pairs.reference_driver_number,
        pairs.reference_driver_id,
        pairs.reference_driver_code,
        pairs.compared_driver_number,
        pairs.compared_driver_id,
        pairs.compared_driver_code,
        pairs.is_top_three_pair,
        pairs.is_teammate_pair,
        reference_grid.grid_index,
        reference_grid.lap_fraction,
        reference_grid.distance_m,
        reference_grid.elapsed_s as reference_elapsed_s,
        compared_grid.elapsed_s as compared_elapsed_s,
        compared_grid.elapsed_s - reference_grid.elapsed_s as delta_s
    from pairs
    inner join distance_grid as reference_grid
        on
            pairs.session_key = reference_grid.session_key
            and pairs.reference_driver_number = reference_grid.driver_number
    inner join distance_grid as compared_grid
        on
            pairs.session_key = compared_grid.session_key
            and pairs.compared_driver_number = compared_grid.driver_number
            and reference_grid.grid_index = compared_grid.grid_index

)

select * from final
