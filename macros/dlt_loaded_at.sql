{#-
    When a dlt load ran, from its load id: `_dlt_load_id` is the load's Unix time in seconds as text
    ('1732271234.5167732'). A timestamp (UTC) for source freshness (_openf1__sources.yml, loaded_at_query).
    Dispatched: DuckDB to_timestamp(double), BigQuery timestamp_micros (it has no to_timestamp).
-#}
{% macro dlt_loaded_at(column) -%}
    {{ return(adapter.dispatch('dlt_loaded_at', 'openf1')(column)) }}
{%- endmacro %}

{% macro default__dlt_loaded_at(column) -%}
    to_timestamp(cast({{ column }} as {{ type_double() }}))
{%- endmacro %}

{% macro bigquery__dlt_loaded_at(column) -%}
    timestamp_micros(cast(cast({{ column }} as float64) * 1000000 as int64))
{%- endmacro %}
