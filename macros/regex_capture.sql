{#-
    The first capture group of a regular expression in a string expression, or null when it does not match.
    DuckDB returns '' when nothing matches; BigQuery returns null (and wants a raw string literal).
-#}
{% macro regex_capture(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_capture')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_capture(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{% macro bigquery__regex_capture(expression, pattern) -%}
    regexp_extract({{ expression }}, r'{{ pattern }}')
{%- endmacro %}
