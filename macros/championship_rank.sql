{#-
    A championship position with the countback tie-break: more points first; on equal points, more wins,
    then more second places, and so on through `places`. Expects columns `points` and `finishes_p<N>` (the
    number of N-th places to date) for every N in `places`. Used by driver_standings and constructor_standings.
-#}
{% macro championship_rank(partition_by, places) -%}
    rank() over (
        partition by {{ partition_by | join(', ') }}
        order by
            points desc
            {%- for place in places %},
            finishes_p{{ place }} desc
            {%- endfor %}
    )
{%- endmacro %}
