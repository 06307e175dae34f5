{#-
    The one rule of a teammate head to head: a driver is ahead of his teammate in a session when he has a
    position and the teammate has none (retired, not classified, no time) or a worse one. Used for races and
    qualifying alike, by teammate_head_to_heads (counted over a season) and driver_season_rounds (per round).
-#}
{% macro is_ahead_of_teammate(position, teammate_position) -%}
    ({{ position }} is not null and ({{ teammate_position }} is null or {{ position }} < {{ teammate_position }}))
{%- endmacro %}
