{#-
    Proves latest_load_rows, the one dedupe of staging, on known rows: one key per case of the rule. Returns
    every row the macro keeps that is not the expected one, every expected row it lost, and every key it kept
    twice.
    1: the newest load wins, though the older load's values are lower.
    2: within a load, the copy with more non-null values wins, though the other's label is lower.
    3: within a load, equally complete copies: the lowest values win (label ties, amount decides).
    4: as many values each, in different columns: compared column by column, nulls last (label first).
    5: a key seen once is kept as it is. 6: exact copies give one row.
-#}
with

candidate_rows as (

    select *
    from (
        select
            1 as row_key,
            'a' as label,
            1 as amount,
            '1700000000.1' as _dlt_load_id
        union all
        select
            1 as row_key,
            'z' as label,
            9 as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            2 as row_key,
            'b' as label,
            cast(null as {{ dbt.type_int() }}) as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            2 as row_key,
            'c' as label,
            3 as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            3 as row_key,
            'd' as label,
            7 as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            3 as row_key,
            'd' as label,
            6 as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            4 as row_key,
            cast(null as {{ dbt.type_string() }}) as label,
            4 as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            4 as row_key,
            'e' as label,
            cast(null as {{ dbt.type_int() }}) as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            5 as row_key,
            'f' as label,
            1 as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            6 as row_key,
            'g' as label,
            2 as amount,
            '1700000100.2' as _dlt_load_id
        union all
        select
            6 as row_key,
            'g' as label,
            2 as amount,
            '1700000100.2' as _dlt_load_id
    ) as sample_values  -- noqa: AL05

),

found as (

    {{ latest_load_rows('candidate_rows', ['row_key'], ['row_key', 'label', 'amount']) }}

),

expected as (

    select
        1 as row_key,
        'z' as label,
        9 as amount,
        '1700000100.2' as _dlt_load_id
    union all
    select
        2 as row_key,
        'c' as label,
        3 as amount,
        '1700000100.2' as _dlt_load_id
    union all
    select
        3 as row_key,
        'd' as label,
        6 as amount,
        '1700000100.2' as _dlt_load_id
    union all
    select
        4 as row_key,
        'e' as label,
        cast(null as {{ dbt.type_int() }}) as amount,
        '1700000100.2' as _dlt_load_id
    union all
    select
        5 as row_key,
        'f' as label,
        1 as amount,
        '1700000100.2' as _dlt_load_id
    union all
    select
        6 as row_key,
        'g' as label,
        2 as amount,
        '1700000100.2' as _dlt_load_id

),

mismatches as (

    select
        expected.row_key as expected_row_key,
        found.row_key as found_row_key,
        found.label as found_label,
        found.amount as found_amount,
        found._dlt_load_id as found_load_id
    from expected
    full outer join found
        on expected.row_key = found.row_key
    where
        expected.row_key is null
        or found.row_key is null
        or found.label is distinct from expected.label
        or found.amount is distinct from expected.amount
        or found._dlt_load_id != expected._dlt_load_id

),

keys_kept_twice as (

    select
        row_key as expected_row_key,
        row_key as found_row_key,
        cast(null as {{ dbt.type_string() }}) as found_label,
        cast(null as {{ dbt.type_int() }}) as found_amount,
        cast(null as {{ dbt.type_string() }}) as found_load_id
    from found
    group by row_key
    having count(*) > 1

),

failures as (

    select * from mismatches
    union all
    select * from keys_kept_twice

)

select * from failures
