{#-
    OpenF1's mixed gap fields, loaded as JSON text: '84.542' (seconds), '+1 LAP' / '+3 LAPS' (laps behind),
    'null' or null (the leader, or no value). Portable SQL only (replace / trim / like / safe_cast).
-#}

{#- Seconds when the value is a number, else null. -#}
{% macro gap_seconds(column) -%}
    case
        when {{ column }} like '%LAP%' then null
        else {{ dbt.safe_cast("trim(replace(" ~ column ~ ", '\"', ''))", type_double()) }}
    end
{%- endmacro %}

{#- Laps behind when the value reads '+N LAP(S)', else null. -#}
{% macro gap_laps(column) -%}
    case
        when {{ column }} like '%LAP%'
            then {{ dbt.safe_cast(
                "trim(replace(replace(replace(replace(" ~ column ~ ", '\"', ''), '+', ''), 'LAPS', ''), 'LAP', ''))",
                dbt.type_int(),
            ) }}
    end
{%- endmacro %}

{#- Element `index` (0-based) of a JSON array held as text, as text (null when absent or JSON null). -#}
{% macro json_array_element(column, index) -%}
    {{ return(adapter.dispatch('json_array_element', 'openf1')(column, index)) }}
{%- endmacro %}

{% macro default__json_array_element(column, index) -%}
    json_extract_string({{ column }}, '$[{{ index }}]')
{%- endmacro %}

{% macro bigquery__json_array_element(column, index) -%}
    json_value({{ column }}, '$[{{ index }}]')
{%- endmacro %}
