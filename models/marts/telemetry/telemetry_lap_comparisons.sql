{#-
    Track dominance of each compared pair (int_fastest_laps_paired): one row per (session, reference driver, compared
    driver, mini-sector), each driver's time through the mini-sector (the difference of his
    fct_fastest_lap_distance_grid times at its two edges), who was faster (the reference on a tie), and how many
    mini-sectors each won over the lap.
-#}
{%- set points_per_mini_sector = var('telemetry_grid_points_per_mini_sector') -%}
with

pairs as (

    select
        session_key,
        meeting_key,
        season,
        session_kind,
        reference_driver_number,
        reference_driver_id,
        reference_driver_code,
        reference_team_name,
        reference_lap_number,
        reference_lap_duration_s,
        compared_driver_number,
        compared_driver_id,
        compared_driver_code,
        compared_team_name,
        compared_lap_number,
        compared_lap_duration_s,
        lap_time_difference_s,
        is_top_three_pair,
        is_teammate_pair,
        distance_source
    from {{ ref('int_fastest_laps_paired') }}

),

distance_grid as (

    select
        session_key,
        driver_number,
        grid_index,
        distance_m,
        elapsed_s
    from {{ ref('fct_fastest_lap_distance_grid') }}
    -- the mini-sectors' edges
    where mod(grid_index, {{ points_per_mini_sector }}) = 0

),

mini_sector_times as (

    select
        session_key,
        driver_number,
        cast(floor(grid_index / {{ points_per_mini_sector }}) as {{ dbt.type_int() }}) as mini_sector_number,
        lag(distance_m) over lap_edges as start_distance_m,
        distance_m as end_distance_m,
        elapsed_s - lag(elapsed_s) over lap_edges as mini_sector_time_s
    from distance_grid
    window lap_edges as (partition by session_key, driver_number order by grid_index)

),

compared as (

    select
        pairs.*,
        reference_times.mini_sector_number,
        reference_times.start_distance_m,
        reference_times.end_distance_m,
        reference_times.mini_sector_time_s as reference_time_s,
        compared_times.mini_sector_time_s as compared_time_s,
        compared_times.mini_sector_time_s - reference_times.mini_sector_time_s as time_difference_s,
        case
            when compared_times.mini_sector_time_s < reference_times.mini_sector_time_s
                then pairs.compared_driver_number
            else pairs.reference_driver_number
        end as faster_driver_number
    from pairs
    inner join mini_sector_times as reference_times
        on
            pairs.session_key = reference_times.session_key
            and pairs.reference_driver_number = reference_times.driver_number
    inner join mini_sector_times as compared_times
        on
            pairs.session_key = compared_times.session_key
            and pairs.compared_driver_number = compared_times.driver_number
            and reference_times.mini_sector_number = compared_times.mini_sector_number
    where reference_times.mini_sector_number >= 1

),

final as (

    select
        session_key,
        meeting_key,
        season,
        session_kind,
        reference_driver_number,
        reference_driver_id,
        reference_driver_code,
        reference_team_name,
        reference_lap_number,
        reference_lap_duration_s,
        compared_driver_number,
        compared_driver_id,
        compared_driver_code,
        compared_team_name,
        compared_lap_number,
        compared_lap_duration_s,
        lap_time_difference_s,
        is_top_three_pair,
        is_teammate_pair,
        distance_source,
        mini_sector_number,
        start_distance_m,
        end_distance_m,
        reference_time_s,
        compared_time_s,
        time_difference_s,
        faster_driver_number,
        count(case when faster_driver_number = reference_driver_number then 1 end) over pair
            as reference_mini_sectors_won,
        count(case when faster_driver_number = compared_driver_number then 1 end) over pair
            as compared_mini_sectors_won
    from compared
    window pair as (partition by session_key, reference_driver_number, compared_driver_number)

)

select * from final
