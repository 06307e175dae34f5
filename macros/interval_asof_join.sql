{#-
    Tags each row of `samples` with the columns of the latest row of `intervals` in the same partition whose
    start is at or before the sample (an as-of join), e.g. telemetry samples with the lap they fall in. Returns
    a select over every sample column plus `interval_columns` (null when no interval starts before the sample);
    the caller filters on the interval's end. Linear-time at telemetry scale on both warehouses:
    `default__` (DuckDB) uses ASOF LEFT JOIN; `bigquery__` (no as-of join) unions the interval starts into the
    sample stream and carries the last interval forward with last_value(... ignore nulls).
    samples / intervals: CTE or relation names; partition_by: columns both share; sample_at / interval_start:
    the timestamps compared; sample_columns: the sample columns to keep (besides partition_by and sample_at).
-#}
{% macro interval_asof_join(
    samples, intervals, partition_by, sample_at, interval_start, sample_columns, interval_columns
) -%}
    {{ return(adapter.dispatch('interval_asof_join', 'openf1')(
        samples, intervals, partition_by, sample_at, interval_start, sample_columns, interval_columns
    )) }}
{%- endmacro %}

{% macro default__interval_asof_join(
    samples, intervals, partition_by, sample_at, interval_start, sample_columns, interval_columns
) -%}
    select
        {%- for column in partition_by %}
        {{ samples }}.{{ column }},
        {%- endfor %}
        {{ samples }}.{{ sample_at }},
        {%- for column in sample_columns %}
        {{ samples }}.{{ column }},
        {%- endfor %}
        {%- for column in interval_columns %}
        {{ intervals }}.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ samples }}
    asof left join {{ intervals }}
        on
            {%- for column in partition_by %}
            {{ samples }}.{{ column }} = {{ intervals }}.{{ column }} and
            {%- endfor %}
            {{ samples }}.{{ sample_at }} >= {{ intervals }}.{{ interval_start }}
{%- endmacro %}

{% macro bigquery__interval_asof_join(
    samples, intervals, partition_by, sample_at, interval_start, sample_columns, interval_columns
) -%}
    select
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        {{ sample_at }},
        {%- for column in sample_columns %}
        {{ column }},
        {%- endfor %}
        {%- for column in interval_columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            *,
            {%- for column in interval_columns %}
            last_value(interval_{{ column }} ignore nulls) over (
                partition by {{ partition_by | join(', ') }}
                -- an interval starting at a sample's instant sorts first, so it covers that sample
                order by {{ sample_at }}, is_sample
                rows between unbounded preceding and current row
            ) as {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        from (
            select
                {%- for column in partition_by %}
                {{ column }},
                {%- endfor %}
                {{ sample_at }},
                1 as is_sample,
                {%- for column in sample_columns %}
                {{ column }},
                {%- endfor %}
                {%- for column in interval_columns %}
                null as interval_{{ column }}{{ "," if not loop.last }}
                {%- endfor %}
            from {{ samples }}
            union all
            select
                {%- for column in partition_by %}
                {{ column }},
                {%- endfor %}
                {{ interval_start }} as {{ sample_at }},
                0 as is_sample,
                {%- for column in sample_columns %}
                null as {{ column }},
                {%- endfor %}
                {%- for column in interval_columns %}
                {{ column }} as interval_{{ column }}{{ "," if not loop.last }}
                {%- endfor %}
            from {{ intervals }}
        ) as stream
    ) as carried
    where is_sample = 1
{%- endmacro %}
