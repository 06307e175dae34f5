{#-
    What changed in a classification after it was first published: one row per (session_key, driver_number,
    first_seen_load_id, field_name) for every tracked field that differs from the driver's previous version
    (fct_classification_versions): which driver, which field, from what to what, and when the warehouse first
    saw the new value (the load that brought it). Values are text, as published ('DSQ', '15.0', ...).
-#}
{%- set tracked = classification_tracked_fields() -%}
with

versions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_kind,
        driver_number,
        driver_id,
        driver_code,
        {%- for column in tracked %}
        {{ dbt.safe_cast(column, dbt.type_string()) }} as {{ column }},
        {%- endfor %}
        first_seen_load_id,
        first_seen_at
    from {{ ref('fct_classification_versions') }}

),

sequenced as (

    select
        *,
        {%- for column in tracked %}
        lag({{ column }}) over (
            partition by session_key, driver_number order by first_seen_load_id
        ) as previous_{{ column }},
        {%- endfor %}
        lag(first_seen_at) over (
            partition by session_key, driver_number order by first_seen_load_id
        ) as previous_seen_at,
        row_number() over (
            partition by session_key, driver_number order by first_seen_load_id
        ) as version_number
    from versions

),

changes as (

    {%- for column in tracked %}
    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_kind,
        driver_number,
        driver_id,
        driver_code,
        version_number,
        '{{ column }}' as field_name,
        previous_{{ column }} as previous_value,
        {{ column }} as new_value,
        previous_seen_at,
        first_seen_load_id,
        first_seen_at
    from sequenced
    where
        version_number > 1
        and coalesce(previous_{{ column }}, '<null>') != coalesce({{ column }}, '<null>')
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}

)

select * from changes
