{#-
    dbt's cross-database safe_cast falls back to a plain cast on DuckDB (dbt-duckdb has no override), which
    fails on OpenF1's mixed values ('null', '+1 LAP'). This DuckDB implementation returns null instead, as
    BigQuery's SAFE_CAST does. dbt looks up its own `dbt` namespace in the root project first.
-#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
