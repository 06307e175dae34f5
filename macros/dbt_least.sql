{#-
    The smallest non-null of several numeric expressions (null when all are null). Portable: a case cascade
    over coalesce, since DuckDB's least() ignores nulls while BigQuery's returns null.
-#}
{% macro dbt_least(expressions) -%}
    {%- set first = expressions[0] -%}
    {%- if expressions | length == 1 -%}
        {{ first }}
    {%- else -%}
        {%- set rest = dbt_least(expressions[1:]) -%}
        case
            when {{ first }} is null then {{ rest }}
            when ({{ rest }}) is null or {{ first }} <= ({{ rest }}) then {{ first }}
            else {{ rest }}
        end
    {%- endif -%}
{%- endmacro %}
