{#-
    A timestamp column as a UTC timestamp without time zone (our `_at` columns).
    DuckDB: dlt loads TIMESTAMP WITH TIME ZONE; timezone('UTC', ...) gives the UTC wall-clock TIMESTAMP,
    whatever the session's time zone. BigQuery: TIMESTAMP is UTC already.
-#}
{% macro utc_timestamp(column) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'openf1')(column)) }}
{%- endmacro %}

{% macro default__utc_timestamp(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}

{% macro bigquery__utc_timestamp(column) -%}
    timestamp({{ column }})
{%- endmacro %}
