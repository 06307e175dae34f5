{#-
    Passes when `distance_column` never decreases along each lap (`lap_columns`) in `order_by` order and is never
    negative or null: distance along a lap is a running total of non-negative steps. Returns the failing rows
    with the distance before them. (Equal steps are allowed: a car standing still adds nothing.)
-#}
{% test telemetry_distance_increases(model, lap_columns, order_by, distance_column) %}

    select *
    from (
        select
            {{ lap_columns | join(', ') }},
            {{ order_by }},
            {{ distance_column }},
            lag({{ distance_column }}) over (
                partition by {{ lap_columns | join(', ') }}
                order by {{ order_by }}
            ) as previous_distance
        from {{ model }}
    ) as stepped
    where
        {{ distance_column }} is null
        or {{ distance_column }} < 0
        or {{ distance_column }} < previous_distance

{% endtest %}
