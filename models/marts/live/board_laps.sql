{#-
    The board's laps: every lap row of every session with the time the car crossed the line at its end, one row
    per (session_key, driver_number, lap_number). Light on purpose (the live loop rebuilds it every cycle):
    staging laps only, no stint or weather joins (int_laps_enriched holds those for the normal build).
    A lap is complete once its duration is known or the car has started a later lap (live, a lap row appears
    when the lap starts and its durations fill in as the sectors complete; lap 1 of a race has no duration).
    crossed_at = the next lap's start, else start + duration; null while the lap runs.
-#}
with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        is_pit_out_lap
    from {{ ref('stg_openf1__laps') }}

),

with_next as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        is_pit_out_lap,
        lead(started_at) over (
            partition by session_key, driver_number order by lap_number
        ) as next_started_at,
        lead(lap_number) over (
            partition by session_key, driver_number order by lap_number
        ) as next_lap_number
    from laps

),

final as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        lap_duration_s,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s,
        is_pit_out_lap,
        coalesce(
            next_started_at,
            {{ dbt.dateadd(
                'millisecond', 'cast(round(lap_duration_s * 1000) as ' ~ dbt.type_int() ~ ')', 'started_at'
            ) }}
        ) as crossed_at,
        lap_duration_s is not null or next_lap_number is not null as is_completed
    from with_next

)

select * from final
