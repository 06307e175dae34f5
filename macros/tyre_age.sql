{#-
    The one definition of a tyre's age on a lap, laps: the stint's age at its start (OpenF1 tyre_age_at_start)
    plus the laps run since the stint's first lap. int_laps_enriched (every lap's tyre_age_laps) and
    board_running_order (the age of the tyres on the car now) both call it.
-#}
{% macro tyre_age_laps(tyre_age_at_start_laps, lap_number, first_lap_number) -%}
    {{ tyre_age_at_start_laps }} + {{ lap_number }} - {{ first_lap_number }}
{%- endmacro %}
