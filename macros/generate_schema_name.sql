{#-
    Schemas read exactly as configured (staging, intermediate, marts, features), not dbt's default
    "<target schema>_<custom schema>"; models without a custom schema go to the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
