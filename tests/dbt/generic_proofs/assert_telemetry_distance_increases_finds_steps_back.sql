{#-
    Proves the telemetry_distance_increases generic test on known rows: lap (1, 10) runs 0, 5, 5, 9 (passes),
    lap (1, 11) runs 0, 7, 6 (its third sample steps back) and lap (2, 10) has a null distance. The test's own
    query must return exactly those two samples; any difference is a failing row.
-#}
with

sample_rows as (

    select *
    from (
        select
            1 as session_key,
            10 as driver_number,
            0 as sample_index,
            0.0 as distance_m
        union all
        select
            1 as session_key,
            10 as driver_number,
            1 as sample_index,
            5.0 as distance_m
        union all
        select
            1 as session_key,
            10 as driver_number,
            2 as sample_index,
            5.0 as distance_m
        union all
        select
            1 as session_key,
            10 as driver_number,
            3 as sample_index,
            9.0 as distance_m
        union all
        select
            1 as session_key,
            11 as driver_number,
            0 as sample_index,
            0.0 as distance_m
        union all
        select
            1 as session_key,
            11 as driver_number,
            1 as sample_index,
            7.0 as distance_m
        union all
        select
            1 as session_key,
            11 as driver_number,
            2 as sample_index,
            6.0 as distance_m
        union all
        select
            2 as session_key,
            10 as driver_number,
            0 as sample_index,
            null as distance_m
    ) as sample_values  -- noqa: AL05

),

found as (

    {{ test_telemetry_distance_increases(
        model='sample_rows',
        lap_columns=['session_key', 'driver_number'],
        order_by='sample_index',
        distance_column='distance_m',
    ) }}

),

expected as (

    select
        1 as session_key,
        11 as driver_number,
        2 as sample_index
    union all
    select
        2 as session_key,
        10 as driver_number,
        0 as sample_index

),

mismatches as (

    select
        expected.session_key as expected_session_key,
        expected.driver_number as expected_driver_number,
        expected.sample_index as expected_sample_index,
        found.session_key as found_session_key,
        found.driver_number as found_driver_number,
        found.sample_index as found_sample_index
    from expected
    full outer join found
        on
            expected.session_key = found.session_key
            and expected.driver_number = found.driver_number
            and expected.sample_index = found.sample_index
    where expected.session_key is null or found.session_key is null

)

select * from mismatches
