{#-
    Proves the unique_combination_of_columns generic test on known rows: over rows with exactly one
    duplicated pair, the test's own query must return exactly that pair. Any difference is a failing row.
-#}
with

sample_rows as (

    select *
    from (
        values
        (1, 10),
        (1, 11),
        (2, 10),
        (2, 10)
    ) as sample_values (session_key, driver_number)  -- noqa: AL05

),

found as (

    {{ test_unique_combination_of_columns(
        model='sample_rows',
        combination_of_columns=['session_key', 'driver_number'],
    ) }}

),

expected as (

    select
        2 as session_key,
        10 as driver_number,
        2 as occurrences

),

missing as (

    select * from expected
    except
    select * from found

),

unexpected as (

    select * from found
    except
    select * from expected

),

mismatches as (

    select * from missing
    union all
    select * from unexpected

)

select * from mismatches  -- noqa: AM04
