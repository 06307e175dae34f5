{#-
    Every car's stints so far in every session, one row per (session_key, driver_number, stint_number), from
    OpenF1's stints (live, an open stint's last lap grows as the car runs). laps_run counts the stint's laps
    up to its last lap, or to the car's current lap (board_laps) while the stint is open; is_current marks the
    car's latest stint.
-#}
with

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        first_lap_number,
        last_lap_number,
        compound,
        tyre_age_at_start_laps
    from {{ ref('stg_openf1__stints') }}

),

laps as (

    select
        session_key,
        driver_number,
        lap_number
    from {{ ref('board_laps') }}

),

current_laps as (

    select
        session_key,
        driver_number,
        max(lap_number) as current_lap_number
    from laps
    group by session_key, driver_number

),

final as (

    select
        stints.session_key,
        stints.driver_number,
        stints.stint_number,
        stints.compound,
        stints.first_lap_number,
        stints.last_lap_number,
        stints.tyre_age_at_start_laps,
        cast(
            coalesce(stints.last_lap_number, current_laps.current_lap_number) - stints.first_lap_number + 1
            as {{ dbt.type_int() }}
        ) as laps_run,
        stints.stint_number = max(stints.stint_number) over (
            partition by stints.session_key, stints.driver_number
        ) as is_current
    from stints
    left outer join current_laps
        on
            stints.session_key = current_laps.session_key
            and stints.driver_number = current_laps.driver_number

)

select * from final
