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
            then {{ comoment(lap_duration_s, tyre_age_laps) }} / {{ comoment(tyre_age_laps, tyre_age_laps) }}
    end
{%- endmacro %}

{#-
    comoment: an aggregate, the sum over the group of (x - mean x) x (y - mean y), spelt from sums so that exact
    inputs give exact results (an online covariance does not); comoment(x, x) is the sum of squares about the
    mean. The one spelling of a least-squares slope's parts: the slope is comoment(y, x) / comoment(x, x), and
    pooled within groups it is the sum of the groups' comoments over the sum of their squares. Rows where either
    is null must be filtered out by the caller.
-#}
{% macro comoment(y, x) -%}
    (sum({{ x }} * {{ y }}) - sum({{ x }}) * sum({{ y }}) / count({{ y }}))
{%- endmacro %}

{#-
    modelled_lap_time: the tyre and fuel model's time for a lap (marts.strategy_tyre_models): the driver's base
    + the compound's pace offset + its degradation x the tyre age - the fuel effect x the lap number. The one
    spelling of the formula, read by the model's fit quality, the backtest's standing start and the undercut
    chance.
-#}
{% macro modelled_lap_time(driver_base_s, pace_offset_s, degradation_s_per_lap, tyre_age_laps, fuel_effect_s_per_lap, lap_number) -%}
    ({{ driver_base_s }} + {{ pace_offset_s }} + {{ degradation_s_per_lap }} * ({{ tyre_age_laps }})
    - {{ fuel_effect_s_per_lap }} * ({{ lap_number }}))
{%- endmacro %}
