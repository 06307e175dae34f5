-- Proves macro interval_asof_join: each sample gets the latest interval starting at or before it, in its own
-- partition; a sample before every interval gets nulls; one at an interval's exact start belongs to it.
with

samples as (

    select
        samples_values.partition_id,
        samples_values.sample_at,
        samples_values.expected_label
    from (
        values
        (1, 5, 'before'),
        (1, 10, 'a'),
        (1, 15, 'a'),
        (1, 20, 'b'),
        (1, 99, 'b'),
        (2, 15, 'c')
    ) as samples_values (partition_id, sample_at, expected_label)

),

intervals as (

    select
        intervals_values.partition_id,
        intervals_values.interval_start,
        intervals_values.label
    from (
        values
        (1, 10, 'a'),
        (1, 20, 'b'),
        (2, 12, 'c')
    ) as intervals_values (partition_id, interval_start, label)

),

joined as (

    {{ interval_asof_join(
        'samples', 'intervals', ['partition_id'], 'sample_at', 'interval_start', ['expected_label'], ['label']
    ) }}

),

failures as (

    select *
    from joined
    where
        (expected_label = 'before' and label is not null)
        or (expected_label != 'before' and (label is null or label != expected_label))

)

select * from failures
