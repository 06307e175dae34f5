{#-
    The one dedupe of staging: latest load wins, ties broken on the row's own values.

    One row per `key_columns`: the row of the newest dlt load (`_dlt_load_id` descending); among rows of that
    load sharing the key (OpenF1 sends duplicates), the one with the most non-null values, then the lowest
    values, compared column by column in the order of `columns`, nulls last. Only the values decide — never
    the rows' order in the table nor `_dlt_id` (random per load) — so the same API data loaded twice gives
    the same rows, on DuckDB and BigQuery alike (`nulls last` is spelled out: their defaults differ). Two rows
    that tie on every column are the same row, whichever is kept.

    Only keys that occur more than once are ranked (found by a group by): a window over every row of a season
    of telemetry took 10 s, this 4 s. A key with a null part never counts as repeated, so such rows are all
    kept (and the model's key tests report them). The body of one CTE; it selects `columns` and `_dlt_load_id`.
-#}
{% macro latest_load_rows(relation, key_columns, columns) -%}
    {%- set kinds = latest_load_column_kinds(columns) -%}
    {%- for key in key_columns if key not in kinds -%}
        {{ exceptions.raise_compiler_error("latest_load_rows: key column '" ~ key ~ "' is not among the columns") }}
    {%- endfor -%}
    {%- set keys = [] -%}
    {%- for key in key_columns -%}
        {%- do keys.append(raw_column(key)) -%}
    {%- endfor -%}
    {%- set selected = [] -%}
    {%- for column in kinds -%}
        {%- do selected.append(raw_column(column)) -%}
    {%- endfor -%}
    with

    duplicated_keys as (

        select {{ keys | join(', ') }}
        from {{ relation }}
        group by {{ keys | join(', ') }}
        having count(*) > 1

    ),

    flagged_rows as (

        select
            candidate_rows.*,
            duplicated_keys.{{ keys[0] }} is not null as has_duplicates
        from {{ relation }} as candidate_rows
        left outer join duplicated_keys
            on
            {%- for key in keys %}
                {{ 'and ' if not loop.first }}candidate_rows.{{ key }} = duplicated_keys.{{ key }}
            {%- endfor %}

    ),

    ranked_duplicates as (

        select
            *,
            row_number() over (
                partition by {{ keys | join(', ') }}
                order by
                    {{ latest_load_order(kinds, key_columns) | join(',\n') | indent(20) }}
            ) as copy_rank
        from flagged_rows
        where has_duplicates

    )

    select
        {%- for column in selected %}
        {{ column }},
        {%- endfor %}
        _dlt_load_id
    from flagged_rows
    where not has_duplicates
    union all
    select
        {%- for column in selected %}
        {{ column }},
        {%- endfor %}
        _dlt_load_id
    from ranked_duplicates
    where copy_rank = 1
{%- endmacro %}

{#- `columns` as an ordered mapping column -> kind: a source_or_empty mapping as it is, a list of names with
    kind 'value' (any orderable scalar). -#}
{% macro latest_load_column_kinds(columns) -%}
    {%- if columns is mapping -%}
        {{ return(columns) }}
    {%- endif -%}
    {%- set kinds = {} -%}
    {%- for column in columns -%}
        {%- do kinds.update({column: 'value'}) -%}
    {%- endfor -%}
    {{ return(kinds) }}
{%- endmacro %}

{#- The rule itself, as the terms of an `order by`: newest load, most non-null values, lowest values (nulls
    last). `kinds` maps every column to its kind; the key columns are left out (equal within a partition). -#}
{% macro latest_load_order(kinds, key_columns) -%}
    {%- set values = [] -%}
    {%- for column, kind in kinds.items() if column not in key_columns -%}
        {%- do values.append(orderable_value(raw_column(column), kind)) -%}
    {%- endfor -%}
    {%- set terms = ['_dlt_load_id desc'] -%}
    {%- if values -%}
        {%- set non_null = [] -%}
        {%- for value in values -%}
            {%- do non_null.append('(case when ' ~ value ~ ' is null then 0 else 1 end)') -%}
        {%- endfor -%}
        {%- do terms.append(non_null | join('\n    + ') ~ ' desc') -%}
        {%- for value in values -%}
            {%- do terms.append(value ~ ' asc nulls last') -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(terms) }}
{%- endmacro %}

{#- A column as something both warehouses can order by: BigQuery cannot order by JSON (dlt loads OpenF1's
    list fields, e.g. laps' sector segments, as JSON there), so JSON columns compare as their JSON text; a
    null stays null (to_json_string(null) is the text 'null'), so it still counts as missing and sorts last. -#}
{% macro orderable_value(column, kind) -%}
    {{ return(adapter.dispatch('orderable_value', 'openf1')(column, kind)) }}
{%- endmacro %}

{% macro default__orderable_value(column, kind) -%}
    {{ return(column) }}
{%- endmacro %}

{% macro bigquery__orderable_value(column, kind) -%}
    {%- if kind == 'json' -%}
        {{ return('case when ' ~ column ~ ' is not null then to_json_string(' ~ column ~ ') end') }}
    {%- endif -%}
    {{ return(column) }}
{%- endmacro %}
