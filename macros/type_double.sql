{#-
    A double-precision float type. dbt.type_float() is single precision on DuckDB (FLOAT = REAL, 4 bytes),
    which turns 74.165 s into 74.16499; lap times and gaps need 8 bytes. Dispatched: DuckDB `double`,
    BigQuery `float64`.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'openf1')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
