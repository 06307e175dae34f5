{#-
    The one definition of a session's kind, from OpenF1's session_type and session_name:
    'race' (the Grand Prix), 'sprint', 'qualifying' (Grand Prix qualifying), 'sprint_qualifying' (Sprint
    Qualifying, called Sprint Shootout in 2023) or 'practice'. Only stg_openf1__sessions calls it; every other
    model reads the session_kind column.
-#}
{% macro session_kind(session_type, session_name) -%}
    case
        when {{ session_type }} = 'Race' and {{ session_name }} like '%Sprint%' then 'sprint'
        when {{ session_type }} = 'Race' then 'race'
        when {{ session_type }} = 'Qualifying' and {{ session_name }} like '%Sprint%' then 'sprint_qualifying'
        when {{ session_type }} = 'Qualifying' then 'qualifying'
        else 'practice'
    end
{%- endmacro %}
