{#-
    Type names both warehouses read alike, for contracts (YAML data_type) and seeds' column_types: int64,
    integer, string, bool, timestamp, date, and float64 (8 bytes). BigQuery has them all; DuckDB lacks
    `float64`, which this on-run-start hook creates as an alias of DOUBLE (tables still show DOUBLE).
-#}
{% macro create_portable_types() -%}
    {{ return(adapter.dispatch('create_portable_types', 'openf1')()) }}
{%- endmacro %}

{% macro default__create_portable_types() -%}
    create type if not exists float64 as double
{%- endmacro %}

{% macro bigquery__create_portable_types() -%}
    {#- nothing to create: FLOAT64 is BigQuery's own -#}
{%- endmacro %}
