{#-
    The columns of the raw (dlt) schema as (table_name, column_name) rows, from the warehouse's
    information schema. Dispatched: DuckDB's information_schema.columns; BigQuery's per-dataset
    INFORMATION_SCHEMA.COLUMNS.
-#}
{% macro raw_column_catalog(raw_schema) -%}
    {{ return(adapter.dispatch('raw_column_catalog', 'openf1')(raw_schema)) }}
{%- endmacro %}

{% macro default__raw_column_catalog(raw_schema) -%}
    select
        table_name,
        column_name
    from information_schema.columns
    where table_schema = '{{ raw_schema }}'
{%- endmacro %}

{% macro bigquery__raw_column_catalog(raw_schema) -%}
    select
        table_name,
        column_name
    from `{{ target.project }}`.{{ raw_schema }}.INFORMATION_SCHEMA.COLUMNS
{%- endmacro %}
