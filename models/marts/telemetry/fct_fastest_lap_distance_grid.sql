{#-
    Each fastest lap of fct_fastest_lap_telemetry resampled on a common grid of lap fractions: grid point k of
    K = telemetry_mini_sectors x telemetry_grid_points_per_mini_sector sits at lap fraction k / K, and its
    elapsed_s is interpolated linearly between the lap's samples around it (the line, elapsed 0, and the line
    again, lap_duration_s, bracket them). Every lap of a session lands on the same points, so lap comparisons
    subtract times point by point; the mini-sectors' edges are every telemetry_grid_points_per_mini_sector-th
    point. distance_m is the fraction of the session's reference length: the circuit's lap length (seed
    circuit_lengths), else the distance of the session's fastest lap.
    Incremental by session, as fct_fastest_lap_telemetry (macros/telemetry_sessions_to_refresh.sql): a build
    resamples the new round's laps, not every season's; every row comes from a lap of the one table it reads.
-#}
-- depends_on: {{ ref('fct_laps') }} (the sessions to refresh are looked up there)
{% set sessions_to_build = refresh_by_session() -%}
{%- set grid_points = var('telemetry_mini_sectors') * var('telemetry_grid_points_per_mini_sector') -%}
with

fastest_lap_telemetry as (

    select
        session_key,
        meeting_key,
        season,
        driver_number,
        driver_code,
        lap_number,
        lap_duration_s,
        session_lap_rank,
        sample_index,
        elapsed_s,
        lap_fraction,
        lap_distance_m,
        circuit_lap_length_m
    from {{ ref('fct_fastest_lap_telemetry') }}
    {%- if sessions_to_build %}
    where session_key in {{ sessions_to_build }}
    {%- endif %}

),

grid as (

    select cast(generated_number - 1 as {{ dbt.type_int() }}) as grid_index
    from ({{ dbt.generate_series(grid_points + 1) }}) as series

),

laps as (

    select
        session_key,
        meeting_key,
        season,
        driver_number,
        driver_code,
        lap_number,
        lap_duration_s,
        session_lap_rank,
        lap_distance_m,
        circuit_lap_length_m
    from fastest_lap_telemetry
    where sample_index = 0

),

session_lengths as (

    select
        session_key,
        coalesce(circuit_lap_length_m, lap_distance_m) as reference_length_m
    from laps
    where session_lap_rank = 1

),

-- the line, every sample, the line again: time against lap fraction, non-decreasing in both
anchors as (

    select
        session_key,
        driver_number,
        0.0 as lap_fraction,
        0.0 as elapsed_s,
        -1 as anchor_index
    from laps
    union all
    select
        session_key,
        driver_number,
        lap_fraction,
        elapsed_s,
        sample_index as anchor_index
    from fastest_lap_telemetry
    where lap_fraction is not null
    union all
    select
        session_key,
        driver_number,
        1.0 as lap_fraction,
        lap_duration_s as elapsed_s,
        {{ 2 ** 31 - 1 }} as anchor_index
    from laps

),

segments as (

    select
        session_key,
        driver_number,
        lap_fraction as to_fraction,
        elapsed_s as to_elapsed_s,
        lag(lap_fraction) over lap_anchors as from_fraction,
        lag(elapsed_s) over lap_anchors as from_elapsed_s
    from anchors
    window lap_anchors as (partition by session_key, driver_number order by anchor_index)

),

-- a grid point falls in the one segment (from, to] that holds it; point 0 is the line
interpolated as (

    select
        segments.session_key,
        segments.driver_number,
        grid.grid_index,
        segments.from_elapsed_s
        + (segments.to_elapsed_s - segments.from_elapsed_s)
        * (grid.grid_index * 1.0 / {{ grid_points }} - segments.from_fraction)
        / (segments.to_fraction - segments.from_fraction) as elapsed_s
    from segments
    inner join grid
        on
            grid.grid_index * 1.0 / {{ grid_points }} > segments.from_fraction
            and grid.grid_index * 1.0 / {{ grid_points }} <= segments.to_fraction
    where segments.from_fraction is not null
    union all
    select
        session_key,
        driver_number,
        0 as grid_index,
        0.0 as elapsed_s
    from laps

),

final as (

    select
        laps.session_key,
        laps.meeting_key,
        laps.season,
        laps.driver_number,
        laps.driver_code,
        laps.lap_number,
        laps.lap_duration_s,
        laps.session_lap_rank,
        interpolated.grid_index,
        interpolated.elapsed_s,
        interpolated.grid_index * 1.0 / {{ grid_points }} as lap_fraction,
        session_lengths.reference_length_m * interpolated.grid_index / {{ grid_points }} as distance_m,
        {{ dbt_least([
            'cast(floor(interpolated.grid_index / ' ~ var('telemetry_grid_points_per_mini_sector')
                ~ ') as ' ~ dbt.type_int() ~ ') + 1',
            var('telemetry_mini_sectors') | string,
        ]) }} as mini_sector_number
    from interpolated
    inner join laps
        on
            interpolated.session_key = laps.session_key
            and interpolated.driver_number = laps.driver_number
    inner join session_lengths
        on interpolated.session_key = session_lengths.session_key

)

select * from final
