{#-
    The fastest sectors, one row per (session_key, sector_number) of a session with a timed sector:
    - latest_best_*: the fastest of every car's most recent time in that sector (its latest lap with the sector
      timed), with who set it and on which lap: the field's pace now;
    - session_best_*: the fastest time in that sector over the whole session so far.
    Ties: the earlier lap, then the car number.
-#}
with

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        sector_1_duration_s,
        sector_2_duration_s,
        sector_3_duration_s
    from {{ ref('board_laps') }}

),

sector_numbers as (

    select 1 as sector_number
    union all
    select 2 as sector_number
    union all
    select 3 as sector_number

),

sector_times as (

    select
        laps.session_key,
        laps.driver_number,
        laps.lap_number,
        sector_numbers.sector_number,
        case sector_numbers.sector_number
            when 1 then laps.sector_1_duration_s
            when 2 then laps.sector_2_duration_s
            else laps.sector_3_duration_s
        end as sector_s
    from laps
    cross join sector_numbers

),

timed as (

    select
        session_key,
        driver_number,
        lap_number,
        sector_number,
        sector_s,
        row_number() over (
            partition by session_key, driver_number, sector_number order by lap_number desc
        ) as recency
    from sector_times
    where sector_s is not null

),

latest_ranked as (

    select
        session_key,
        driver_number,
        lap_number,
        sector_number,
        sector_s,
        row_number() over (
            partition by session_key, sector_number order by sector_s, lap_number, driver_number
        ) as pace_rank
    from timed
    where recency = 1

),

session_ranked as (

    select
        session_key,
        driver_number,
        lap_number,
        sector_number,
        sector_s,
        row_number() over (
            partition by session_key, sector_number order by sector_s, lap_number, driver_number
        ) as pace_rank
    from timed

),

final as (

    select
        latest_ranked.session_key,
        cast(latest_ranked.sector_number as {{ dbt.type_int() }}) as sector_number,
        cast(latest_ranked.sector_s as {{ type_double() }}) as latest_best_s,
        latest_ranked.driver_number as latest_best_driver_number,
        latest_ranked.lap_number as latest_best_lap_number,
        cast(session_ranked.sector_s as {{ type_double() }}) as session_best_s,
        session_ranked.driver_number as session_best_driver_number,
        session_ranked.lap_number as session_best_lap_number
    from latest_ranked
    inner join session_ranked
        on
            latest_ranked.session_key = session_ranked.session_key
            and latest_ranked.sector_number = session_ranked.sector_number
            and session_ranked.pace_rank = 1
    where latest_ranked.pace_rank = 1

)

select * from final
