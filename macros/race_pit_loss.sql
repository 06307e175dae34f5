{#-
    The one definition of which green pit loss a race uses: its circuit's green median in
    marts.pit_loss_by_track_status for the race's season, else the circuit's latest earlier season.
    `races` names a relation with session_key, circuit_key, season; `green_pit_losses` one with circuit_key,
    season, median_pit_loss_s (the green rows). Yields session_key, circuit_key, season, pit_loss_season,
    pit_loss_s and recency (1 = the loss to use). Called by fct_undercut_chances and board_pit_windows.
-#}
{% macro race_pit_losses_ranked(races, green_pit_losses) -%}
    select
        {{ races }}.session_key,
        {{ races }}.circuit_key,
        {{ races }}.season,
        {{ green_pit_losses }}.season as pit_loss_season,
        {{ green_pit_losses }}.median_pit_loss_s as pit_loss_s,
        row_number() over (
            partition by {{ races }}.session_key
            order by {{ green_pit_losses }}.season desc
        ) as recency
    from {{ races }}
    inner join {{ green_pit_losses }}
        on
            {{ races }}.circuit_key = {{ green_pit_losses }}.circuit_key
            and {{ races }}.season >= {{ green_pit_losses }}.season
{%- endmacro %}
