-- Shares of a lap's samples lie in [0, 1], and a lap's samples never outnumber the session's for the driver
-- (a sample tagged with two laps would break the second: the range join must give each sample one lap).
with

lap_telemetry as (

    select
        session_key,
        driver_number,
        lap_number,
        car_data_samples,
        full_throttle_share,
        braking_share,
        drs_open_share
    from {{ ref('lap_telemetry_features') }}

),

car_data as (

    select
        session_key,
        driver_number,
        count(*) as samples
    from {{ ref('stg_openf1__car_data') }}
    group by session_key, driver_number

),

tagged as (

    select
        session_key,
        driver_number,
        sum(car_data_samples) as tagged_samples
    from lap_telemetry
    group by session_key, driver_number

),

bad_shares as (

    select
        session_key,
        driver_number,
        lap_number,
        'share outside [0, 1]' as problem
    from lap_telemetry
    where
        full_throttle_share not between 0 and 1
        or braking_share not between 0 and 1
        or drs_open_share not between 0 and 1

),

double_tagged as (

    select
        tagged.session_key,
        tagged.driver_number,
        null as lap_number,
        'more samples tagged than recorded' as problem
    from tagged
    inner join car_data
        on
            tagged.session_key = car_data.session_key
            and tagged.driver_number = car_data.driver_number
    where tagged.tagged_samples > car_data.samples

),

failures as (

    select * from bad_shares
    union all
    select * from double_tagged

)

select * from failures
