-- Proves macro interval_asof_join: each sample gets the latest interval starting at or before it, in its own
-- partition; a sample before every interval gets nulls; one at an interval's exact start belongs to it.
with

samples as (

    select
        samples_values.partition_id,
        samples_values.sample_at,
        samples_values.expected_label
    from (
        select
            1 as partition_id,
            5 as sample_at,
            'before' as expected_label
        union all
        select
            1 as partition_id,
            10 as sample_at,
            'a' as expected_label
        union all
        select
            1 as partition_id,
            15 as sample_at,
            'a' as expected_label
        union all
        select
            1 as partition_id,
            20 as sample_at,
            'b' as expected_label
        union all
        select
            1 as partition_id,
            99 as sample_at,
            'b' as expected_label
        union all
        select
            2 as partition_id,
            15 as sample_at,
            'c' as expected_label
    ) as samples_values

),

intervals as (

    select
        intervals_values.partition_id,
        intervals_values.interval_start,
        intervals_values.interval_label
    from (
        select
            1 as partition_id,
            10 as interval_start,
            'a' as interval_label
        union all
        select
            1 as partition_id,
            20 as interval_start,
            'b' as interval_label
        union all
        select
            2 as partition_id,
            12 as interval_start,
            'c' as interval_label
    ) as intervals_values

),

joined as (

    {{ interval_asof_join(
        'samples', 'intervals', ['partition_id'], 'sample_at', 'interval_start', ['expected_label'], ['interval_label']
    ) }}

),

failures as (

    select *
    from joined
    where
        (expected_label = 'before' and interval_label is not null)
        or (expected_label != 'before' and (interval_label is null or interval_label != expected_label))

)

select * from failures
