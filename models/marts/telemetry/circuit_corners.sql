{#-
    The corners of a session's circuit as its fastest lap with car data drives them (fct_fastest_lap_telemetry,
    session_lap_rank 1, distance_source 'speed'): a corner is a sample slower than
    telemetry_corner_max_speed_kph and the slowest within telemetry_corner_window_m either side, across
    the line too (ties to the earlier sample), numbered in distance order, with its x/y for a map label. A session whose fastest lap has
    location only has no speed minima: no corners.
-#}
{%- set corner_window_m = var('telemetry_corner_window_m') -%}
with

fastest_lap_telemetry as (

    select
        session_key,
        meeting_key,
        season,
        circuit_short_name,
        driver_number,
        driver_code,
        lap_number,
        sample_index,
        distance_m,
        lap_fraction,
        speed_kph,
        gear,
        x_position,
        y_position,
        lap_distance_m
    from {{ ref('fct_fastest_lap_telemetry') }}
    where
        session_lap_rank = 1
        and distance_source = 'speed'
        and speed_kph is not null

),

-- the lap is a loop: the samples near the line are also placed one lap before and after, so a corner near the
-- line is compared with its neighbours across the line
looped as (

    select
        session_key,
        sample_index,
        distance_m,
        speed_kph,
        1 as is_on_lap
    from fastest_lap_telemetry
    union all
    select
        session_key,
        sample_index,
        distance_m - lap_distance_m as distance_m,
        speed_kph,
        0 as is_on_lap
    from fastest_lap_telemetry
    where distance_m > lap_distance_m - {{ corner_window_m }}
    union all
    select
        session_key,
        sample_index,
        distance_m + lap_distance_m as distance_m,
        speed_kph,
        0 as is_on_lap
    from fastest_lap_telemetry
    where distance_m < {{ corner_window_m }}

),

-- speed and sample index as one total order: the slowest sample, ties to the earlier one
windowed as (

    select
        session_key,
        sample_index,
        is_on_lap,
        min(speed_kph * 1000000 + sample_index) over (
            partition by session_key
            order by distance_m
            range between {{ corner_window_m }} preceding and {{ corner_window_m }} following
        ) as slowest_nearby_key
    from looped

),

corners as (

    select
        fastest_lap_telemetry.session_key,
        fastest_lap_telemetry.meeting_key,
        fastest_lap_telemetry.season,
        fastest_lap_telemetry.circuit_short_name,
        fastest_lap_telemetry.driver_number,
        fastest_lap_telemetry.driver_code,
        fastest_lap_telemetry.lap_number,
        fastest_lap_telemetry.sample_index,
        fastest_lap_telemetry.distance_m,
        fastest_lap_telemetry.lap_fraction,
        fastest_lap_telemetry.speed_kph,
        fastest_lap_telemetry.gear,
        fastest_lap_telemetry.x_position,
        fastest_lap_telemetry.y_position
    from fastest_lap_telemetry
    inner join windowed
        on
            fastest_lap_telemetry.session_key = windowed.session_key
            and fastest_lap_telemetry.sample_index = windowed.sample_index
            and windowed.is_on_lap = 1
    where
        fastest_lap_telemetry.speed_kph * 1000000 + fastest_lap_telemetry.sample_index = windowed.slowest_nearby_key
        and fastest_lap_telemetry.speed_kph < {{ var('telemetry_corner_max_speed_kph') }}

),

final as (

    select
        session_key,
        meeting_key,
        season,
        circuit_short_name,
        cast(row_number() over (partition by session_key order by distance_m, sample_index) as {{ dbt.type_int() }})
            as corner_number,
        driver_number,
        driver_code,
        lap_number,
        sample_index,
        distance_m,
        lap_fraction,
        speed_kph,
        gear,
        x_position,
        y_position
    from corners

)

select * from final
