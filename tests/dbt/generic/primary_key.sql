{#-
    Passes when `columns` identify every row: no part of the key is null and no two rows share it. Returns
    one failing row per offending key value, with how often it occurs. One scan of the model, where
    unique_combination_of_columns plus a not_null per column take one each: it matters on a model of millions
    of rows (the telemetry staging models).
-#}
{% test primary_key(model, columns) %}

    {%- set columns_csv = columns | join(', ') %}

    select
        {{ columns_csv }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns_csv }}
    having
        count(*) > 1
        {%- for column in columns %}
        or {{ column }} is null
        {%- endfor %}

{% endtest %}
