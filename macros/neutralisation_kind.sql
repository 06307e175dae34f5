{#-
    The one definition of what a race control message neutralises: 'virtual_safety_car' for a SafetyCar
    message about the virtual safety car ('VIRTUAL SAFETY CAR DEPLOYED', 'VIRTUAL SAFETY CAR ENDING'),
    'safety_car' for any other SafetyCar message about the safety car ('SAFETY CAR DEPLOYED', 'SAFETY CAR IN
    THIS LAP'), null for every other message. int_track_status_periods (which periods a deployment opens) and
    fct_race_control (is_virtual_safety_car) both call it.
-#}
{% macro neutralisation_kind(category, message) -%}
    case
        when {{ category }} = 'SafetyCar' and upper({{ message }}) like '%VIRTUAL SAFETY CAR%' then 'virtual_safety_car'
        when {{ category }} = 'SafetyCar' and upper({{ message }}) like '%SAFETY CAR%' then 'safety_car'
    end
{%- endmacro %}
