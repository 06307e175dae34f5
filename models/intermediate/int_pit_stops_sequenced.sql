{#-
    Pit stops per (session_key, driver_number, stop_number), numbered in time, with the stints either side:
    the stint the car came in on (the one covering the in-lap) and the one it left on (the next stint).
-#}
with

pit_stops as (

    select
        session_key,
        meeting_key,
        driver_number,
        lap_number,
        pitted_at,
        lane_duration_s,
        stop_duration_s
    from {{ ref('stg_openf1__pit_stops') }}

),

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        first_lap_number,
        compound
    from {{ ref('stg_openf1__stints') }}

),

numbered as (

    select
        *,
        row_number() over (
            partition by session_key, driver_number
            order by pitted_at asc, lap_number asc, lane_duration_s asc, stop_duration_s asc
        ) as stop_number
    from pit_stops

),

with_stints as (

    select
        numbered.session_key,
        numbered.meeting_key,
        numbered.driver_number,
        numbered.stop_number,
        numbered.lap_number,
        numbered.pitted_at,
        numbered.lane_duration_s,
        numbered.stop_duration_s,
        -- the first stint starting after the in-lap is the one the car left on
        min(stints.stint_number) as stint_number_after
    from numbered
    left outer join stints
        on
            numbered.session_key = stints.session_key
            and numbered.driver_number = stints.driver_number
            and numbered.lap_number < stints.first_lap_number
    group by
        numbered.session_key,
        numbered.meeting_key,
        numbered.driver_number,
        numbered.stop_number,
        numbered.lap_number,
        numbered.pitted_at,
        numbered.lane_duration_s,
        numbered.stop_duration_s

),

final as (

    select
        with_stints.session_key,
        with_stints.meeting_key,
        with_stints.driver_number,
        with_stints.stop_number,
        with_stints.lap_number,
        with_stints.pitted_at,
        with_stints.lane_duration_s,
        with_stints.stop_duration_s,
        with_stints.stint_number_after,
        stints_after.compound as compound_after,
        stints_before.compound as compound_before,
        with_stints.stint_number_after - 1 as stint_number_before
    from with_stints
    left outer join stints as stints_after
        on
            with_stints.session_key = stints_after.session_key
            and with_stints.driver_number = stints_after.driver_number
            and with_stints.stint_number_after = stints_after.stint_number
    left outer join stints as stints_before
        on
            with_stints.session_key = stints_before.session_key
            and with_stints.driver_number = stints_before.driver_number
            and with_stints.stint_number_after - 1 = stints_before.stint_number

)

select * from final
