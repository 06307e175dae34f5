{#-
    Passes when no two rows share the same values in `combination_of_columns` (the grain of a model).
    Returns one failing row per duplicated combination, with how often it occurs.
    Nulls count as values here (two rows with the same nulls are duplicates): pair with not_null tests on
    the key columns where nulls are not allowed.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {%- set columns_csv = combination_of_columns | join(', ') %}

    select
        {{ columns_csv }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1

{% endtest %}
