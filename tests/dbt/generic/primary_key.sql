{#-
    Passes when `columns` identify every row: no part of the key is null and no two rows share it. Returns
    one failing row per offending key value, with how often it occurs. One scan of the model, where
    unique_combination_of_columns plus a not_null per column take one each: it matters on a model of millions
    of rows (the telemetry staging models). With skip_passed_sessions, only the sessions whose rows have not
    passed yet (a model with a session_key column; macros/telemetry_key_checks.sql keeps what passed; DuckDB).
-#}
{% test primary_key(model, columns, skip_passed_sessions=false) %}

    {%- set columns_csv = columns | join(', ') %}

    select
        {{ columns_csv }},
        count(*) as occurrences
    from {{ model }}
    {{ unchecked_sessions_filter(model) if skip_passed_sessions else '' }}
    group by {{ columns_csv }}
    having
        count(*) > 1
        {%- for column in columns %}
        or {{ column }} is null
        {%- endfor %}

{% endtest %}
