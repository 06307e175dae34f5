{#-
    MetricFlow's time spine: one row per day from 2023 (OpenF1's first season) to the end of 2050. Built with
    dbt's cross-database date_spine, so the same model builds on DuckDB and BigQuery.
-#}
with

days as (

    {{ dbt.date_spine('day', "cast('2023-01-01' as date)", "cast('2051-01-01' as date)") }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
