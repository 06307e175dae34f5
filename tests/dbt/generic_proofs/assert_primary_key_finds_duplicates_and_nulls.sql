{#-
    Proves the primary_key generic test on known rows: over rows with one duplicated key, one key with a
    null part and two good keys, the test's own query must return exactly the first two. Any difference is
    a failing row.
-#}
with

sample_rows as (

    select *
    from (
        select
            1 as session_key,
            10 as driver_number
        union all
        select
            1 as session_key,
            11 as driver_number
        union all
        select
            2 as session_key,
            10 as driver_number
        union all
        select
            2 as session_key,
            10 as driver_number
        union all
        select
            3 as session_key,
            null as driver_number
    ) as sample_values  -- noqa: AL05

),

found as (

    {{ test_primary_key(
        model='sample_rows',
        columns=['session_key', 'driver_number'],
    ) }}

),

expected as (

    select
        2 as session_key,
        10 as driver_number,
        2 as occurrences
    union all
    select
        3 as session_key,
        null as driver_number,
        1 as occurrences

),

mismatches as (

    select
        expected.session_key as expected_session_key,
        expected.driver_number as expected_driver_number,
        expected.occurrences as expected_occurrences,
        found.session_key as found_session_key,
        found.driver_number as found_driver_number,
        found.occurrences as found_occurrences
    from expected
    full outer join found
        on
            expected.session_key = found.session_key
            and expected.driver_number is not distinct from found.driver_number
            and expected.occurrences = found.occurrences
    where expected.session_key is null or found.session_key is null

)

select * from mismatches
