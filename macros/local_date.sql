{#-
    The calendar date at the circuit of a UTC timestamp: the timestamp moved by OpenF1's UTC offset
    ('03:00:00', '-05:00:00'), then cast to a date. A missing offset leaves the UTC date. Portable: dbt's
    cross-database split_part and dateadd (DuckDB and BigQuery alike).
-#}
{% macro local_date(timestamp_column, utc_offset_column) -%}
    {%- set hours = dbt.split_part(utc_offset_column, "':'", 1) -%}
    {%- set minutes = dbt.split_part(utc_offset_column, "':'", 2) -%}
    {%- set offset_seconds -%}
        coalesce(
            case when {{ utc_offset_column }} like '-%' then -1 else 1 end
            * (abs(cast({{ hours }} as {{ dbt.type_int() }})) * 3600 + cast({{ minutes }} as {{ dbt.type_int() }}) * 60),
            0
        )
    {%- endset -%}
    cast({{ dbt.dateadd('second', offset_seconds, timestamp_column) }} as date)
{%- endmacro %}
