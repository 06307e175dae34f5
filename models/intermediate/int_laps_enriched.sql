{#-
    Every lap with its context: the stint it belongs to (compound, tyre age), whether the car pitted in at
    its end or came out of the pits at its start, the track status when it started, the weather sample in
    force then, the driver's position at its end (from position changes), and a clean-lap flag.
    Range joins stay within one session and one driver, so they are cheap.
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
        intermediate_1_speed_kph,
        intermediate_2_speed_kph,
        speed_trap_speed_kph,
        is_pit_out_lap
    from {{ ref('stg_openf1__laps') }}

),

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

pit_stops as (

    select
        session_key,
        driver_number,
        lap_number
    from {{ ref('stg_openf1__pit_stops') }}

),

track_status_periods as (

    select
        session_key,
        track_status,
        started_at,
        ended_at
    from {{ ref('int_track_status_periods') }}

),

weather as (

    select
        session_key,
        recorded_at,
        air_temperature_c,
        track_temperature_c,
        rainfall,
        lead(recorded_at) over (partition by session_key order by recorded_at) as next_recorded_at
    from {{ ref('stg_openf1__weather') }}

),

positions as (

    select
        session_key,
        driver_number,
        position,
        recorded_at,
        lead(recorded_at) over (partition by session_key, driver_number order by recorded_at) as next_recorded_at
    from {{ ref('stg_openf1__positions') }}

),

laps_timed as (

    select
        *,
        -- a lap ends when the next one starts; open-ended for the last lap, and when OpenF1 misses the next
        -- lap (its successor would then be two laps on, and the lap would look a whole lap too long)
        case
            when
                lead(lap_number) over (partition by session_key, driver_number order by lap_number)
                = lap_number + 1
                then lead(started_at) over (partition by session_key, driver_number order by lap_number)
        end as ended_at
    from laps

),

laps_in_stints as (

    -- OpenF1's stints can overlap (#89): the latest stint covering the lap wins
    select
        laps_timed.session_key,
        laps_timed.driver_number,
        laps_timed.lap_number,
        stints.stint_number,
        stints.compound,
        {{ tyre_age_laps('stints.tyre_age_at_start_laps', 'laps_timed.lap_number', 'stints.first_lap_number') }}
            as tyre_age_laps,
        row_number() over (
            partition by laps_timed.session_key, laps_timed.driver_number, laps_timed.lap_number
            order by stints.stint_number desc
        ) as stint_rank
    from laps_timed
    inner join stints
        on
            laps_timed.session_key = stints.session_key
            and laps_timed.driver_number = stints.driver_number
            and laps_timed.lap_number between stints.first_lap_number and stints.last_lap_number

),

pit_in_laps as (

    select distinct
        session_key,
        driver_number,
        lap_number
    from pit_stops

),

laps_in_track_status as (

    select
        laps_timed.session_key,
        laps_timed.driver_number,
        laps_timed.lap_number,
        track_status_periods.track_status
    from laps_timed
    inner join track_status_periods
        on
            laps_timed.session_key = track_status_periods.session_key
            and laps_timed.started_at >= track_status_periods.started_at
            and (laps_timed.started_at < track_status_periods.ended_at or track_status_periods.ended_at is null)

),

laps_under_caution as (

    -- a yellow, SC, VSC or red period that begins or runs at any moment of the lap (not only at its start)
    select distinct
        laps_timed.session_key,
        laps_timed.driver_number,
        laps_timed.lap_number
    from laps_timed
    inner join track_status_periods
        on
            laps_timed.session_key = track_status_periods.session_key
            and track_status_periods.track_status != 'green'
            and laps_timed.ended_at > track_status_periods.started_at
            and (laps_timed.started_at < track_status_periods.ended_at or track_status_periods.ended_at is null)

),

laps_in_weather as (

    select
        laps_timed.session_key,
        laps_timed.driver_number,
        laps_timed.lap_number,
        weather.air_temperature_c,
        weather.track_temperature_c,
        weather.rainfall
    from laps_timed
    inner join weather
        on
            laps_timed.session_key = weather.session_key
            and laps_timed.started_at >= weather.recorded_at
            and (laps_timed.started_at < weather.next_recorded_at or weather.next_recorded_at is null)

),

laps_in_positions as (

    select
        laps_timed.session_key,
        laps_timed.driver_number,
        laps_timed.lap_number,
        positions.position
    from laps_timed
    inner join positions
        on
            laps_timed.session_key = positions.session_key
            and laps_timed.driver_number = positions.driver_number
            and laps_timed.ended_at >= positions.recorded_at
            and (laps_timed.ended_at < positions.next_recorded_at or positions.next_recorded_at is null)

),

last_positions as (

    -- the last lap has no end time: the driver's last known position
    select
        session_key,
        driver_number,
        position
    from positions
    where next_recorded_at is null

),

enriched as (

    select
        laps_timed.session_key,
        laps_timed.driver_number,
        laps_timed.lap_number,
        laps_timed.started_at,
        laps_timed.ended_at,
        laps_timed.lap_duration_s,
        laps_timed.sector_1_duration_s,
        laps_timed.sector_2_duration_s,
        laps_timed.sector_3_duration_s,
        laps_timed.intermediate_1_speed_kph,
        laps_timed.intermediate_2_speed_kph,
        laps_timed.speed_trap_speed_kph,
        laps_timed.is_pit_out_lap,
        laps_in_stints.stint_number,
        laps_in_stints.compound,
        laps_in_stints.tyre_age_laps,
        laps_in_weather.air_temperature_c,
        laps_in_weather.track_temperature_c,
        pit_in_laps.lap_number is not null as is_pit_in_lap,
        coalesce(laps_in_track_status.track_status, 'green') as track_status,
        laps_under_caution.lap_number is not null as is_under_caution,
        laps_in_weather.rainfall > 0 as is_raining,
        case
            when laps_timed.ended_at is null then last_positions.position
            else laps_in_positions.position
        end as reported_position,
        -- without position data: the order in which drivers started their next lap
        case
            when laps_timed.ended_at is not null
                then row_number() over (
                    partition by laps_timed.session_key, laps_timed.lap_number
                    order by laps_timed.ended_at, laps_timed.driver_number
                )
        end as timing_position
    from laps_timed
    left outer join laps_in_stints
        on
            laps_timed.session_key = laps_in_stints.session_key
            and laps_timed.driver_number = laps_in_stints.driver_number
            and laps_timed.lap_number = laps_in_stints.lap_number
            and laps_in_stints.stint_rank = 1
    left outer join pit_in_laps
        on
            laps_timed.session_key = pit_in_laps.session_key
            and laps_timed.driver_number = pit_in_laps.driver_number
            and laps_timed.lap_number = pit_in_laps.lap_number
    left outer join laps_in_track_status
        on
            laps_timed.session_key = laps_in_track_status.session_key
            and laps_timed.driver_number = laps_in_track_status.driver_number
            and laps_timed.lap_number = laps_in_track_status.lap_number
    left outer join laps_under_caution
        on
            laps_timed.session_key = laps_under_caution.session_key
            and laps_timed.driver_number = laps_under_caution.driver_number
            and laps_timed.lap_number = laps_under_caution.lap_number
    left outer join laps_in_weather
        on
            laps_timed.session_key = laps_in_weather.session_key
            and laps_timed.driver_number = laps_in_weather.driver_number
            and laps_timed.lap_number = laps_in_weather.lap_number
    left outer join laps_in_positions
        on
            laps_timed.session_key = laps_in_positions.session_key
            and laps_timed.driver_number = laps_in_positions.driver_number
            and laps_timed.lap_number = laps_in_positions.lap_number
    left outer join last_positions
        on
            laps_timed.session_key = last_positions.session_key
            and laps_timed.driver_number = last_positions.driver_number

),

final as (

    select
        *,
        coalesce(reported_position, timing_position) as position_at_lap_end,
        -- when the lap was completed: the next lap's start, or for the last lap its start plus its time
        -- (dbt.dateadd gives a DATETIME on BigQuery: cast back to a timestamp so coalesce sees one type)
        coalesce(
            ended_at,
            cast({{ dbt.dateadd(
                'millisecond',
                'cast(round(lap_duration_s * 1000) as ' ~ dbt.type_bigint() ~ ')',
                'started_at',
            ) }} as {{ dbt.type_timestamp() }})
        ) as completed_at,
        -- clean: timed, not lap 1, no pit entry or exit, green from start to finish
        coalesce(
            lap_duration_s is not null
            and lap_number > 1
            and not is_pit_out_lap
            and not is_pit_in_lap
            and track_status = 'green'
            and not is_under_caution,
            false
        ) as is_clean_lap
    from enriched

)

select * from final
