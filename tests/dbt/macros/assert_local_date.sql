{#-
    Proves local_date (a session's calendar date at the circuit): offsets ahead of and behind UTC that cross
    midnight (Las Vegas 2024's race started on the 24th in UTC, the 23rd at the circuit), a half-hour offset and
    a missing one (the UTC date). Returns the rows whose local date differs from the expected one.
-#}
with

timestamps as (

    select *
    from (
        select
            cast('2024-11-24 06:00:00' as timestamp) as started_at,
            '-08:00:00' as utc_offset,
            cast('2024-11-23' as date) as expected_date
        union all
        select
            cast('2024-04-06 22:30:00' as timestamp) as started_at,
            '03:00:00' as utc_offset,
            cast('2024-04-07' as date) as expected_date
        union all
        select
            cast('2024-03-02 15:00:00' as timestamp) as started_at,
            '03:00:00' as utc_offset,
            cast('2024-03-02' as date) as expected_date
        union all
        select
            cast('2024-06-01 23:45:00' as timestamp) as started_at,
            '-03:30:00' as utc_offset,
            cast('2024-06-01' as date) as expected_date
        union all
        select
            cast('2024-06-01 20:45:00' as timestamp) as started_at,
            '-03:30:00' as utc_offset,
            cast('2024-06-01' as date) as expected_date
        union all
        select
            cast('2024-06-01 01:45:00' as timestamp) as started_at,
            '-03:30:00' as utc_offset,
            cast('2024-05-31' as date) as expected_date
        union all
        select
            cast('2024-06-01 23:45:00' as timestamp) as started_at,
            cast(null as {{ dbt.type_string() }}) as utc_offset,
            cast('2024-06-01' as date) as expected_date
    ) as sample_values  -- noqa: AL05

),

converted as (

    select
        started_at,
        utc_offset,
        expected_date,
        {{ local_date('started_at', 'utc_offset') }} as local_date
    from timestamps

)

select *
from converted
where local_date is distinct from expected_date
