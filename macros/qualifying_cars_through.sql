{#-
    The one definition of a qualifying knock-out's size: how many cars go through to Q2 (phase 2) or Q3
    (phase 3) in a season, from the sporting regulations (dbt vars qualifying_q2_cars_from_season and
    qualifying_q3_cars). Sprint qualifying (SQ1-SQ3) uses the same numbers. The cars classified below that line
    dropped out in the phase before. fct_qualifying.eliminated_in and qualifying_sessions read it.
-#}
{% macro qualifying_cars_through(phase, season) -%}
    {%- if phase == 3 -%}
        {{ var('qualifying_q3_cars') }}
    {%- elif phase == 2 -%}
        {%- set by_season = var('qualifying_q2_cars_from_season') -%}
        case
            {%- for first_season in by_season | sort(reverse=true) %}
            when {{ season }} >= {{ first_season }} then {{ by_season[first_season] }}
            {%- endfor %}
            else {{ by_season[by_season | sort | first] }}
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("qualifying_cars_through: phase is 2 or 3, not " ~ phase) }}
    {%- endif -%}
{%- endmacro %}
