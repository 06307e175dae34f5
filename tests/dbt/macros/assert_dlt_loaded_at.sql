{#-
    Proves dlt_loaded_at (the source freshness timestamp) on dlt load ids: Unix seconds as text, with and
    without a fraction. Returns the load ids whose UTC timestamp differs from the expected one.
-#}
with

load_ids as (

    select *
    from (
        select
            '1732271234.5' as load_id,
            cast('2024-11-22 10:27:14.5' as timestamp) as expected_at
        union all
        select
            '1700000000.25' as load_id,
            cast('2023-11-14 22:13:20.25' as timestamp) as expected_at
        union all
        select
            '1700000000' as load_id,
            cast('2023-11-14 22:13:20' as timestamp) as expected_at
    ) as sample_values  -- noqa: AL05

),

converted as (

    select
        load_id,
        expected_at,
        {{ utc_timestamp(dlt_loaded_at('load_id')) }} as loaded_at
    from load_ids

)

select *
from converted
where loaded_at is distinct from expected_at
