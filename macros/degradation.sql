{#-
    The one definition of tyre degradation, used by marts.tyre_degradation and features.stint_features.
    fuel_corrected_lap_duration: a race lap's time plus what the car has gained by burning fuel since lap 1
    (fuel_effect_s_per_lap per lap: the race's estimate, intermediate/strategy/int_race_fuel_effects_estimated),
    so lap times compare on one fuel load.
    degradation_slope: an aggregate, the least-squares slope of the (fuel-corrected) lap time on tyre age in
    seconds per lap of age; null with fewer than var min_degradation_laps laps or a single tyre age.
-#}
{% macro fuel_corrected_lap_duration(lap_duration_s, lap_number, fuel_effect_s_per_lap) -%}
    {{ lap_duration_s }} + {{ fuel_effect_s_per_lap }} * ({{ lap_number }} - 1)
{%- endmacro %}

{% macro degradation_slope(lap_duration_s, tyre_age_laps) -%}
    case
        when count({{ lap_duration_s }}) >= {{ var('min_degradation_laps') }} and var_pop({{ tyre_age_laps }}) > 0
            -- sums of products about the means: exact on exact inputs, unlike an online covariance
            then (
                sum({{ tyre_age_laps }} * {{ lap_duration_s }})
                - sum({{ tyre_age_laps }}) * sum({{ lap_duration_s }}) / count({{ lap_duration_s }})
            ) / (
                sum({{ tyre_age_laps }} * {{ tyre_age_laps }})
                - sum({{ tyre_age_laps }}) * sum({{ tyre_age_laps }}) / count({{ lap_duration_s }})
            )
    end
{%- endmacro %}
