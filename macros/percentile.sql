{#-
    An aggregate: the p-th quantile (0 <= p <= 1, a literal) of a numeric expression over the group, nulls
    ignored; median = percentile(x, 0.5). Dispatched: DuckDB interpolates (quantile_cont); BigQuery has no
    aggregate percentile_cont (only the analytic one), so it reads the nearest of 1000 approximate quantiles
    (approx_quantiles), which are values of the group: no interpolation, so the median of an even number of
    values is one of the middle two, not their mean as on DuckDB.
-#}
{% macro percentile(expression, p) -%}
    {{ return(adapter.dispatch('percentile', 'openf1')(expression, p)) }}
{%- endmacro %}

{% macro default__percentile(expression, p) -%}
    quantile_cont({{ expression }}, {{ p }})
{%- endmacro %}

{% macro bigquery__percentile(expression, p) -%}
    approx_quantiles({{ expression }}, 1000)[offset({{ (p * 1000) | round | int }})]
{%- endmacro %}
