{#-
    Every version of every race, sprint and qualifying classification row the warehouse has seen, one row per
    (session_key, driver_number, first_seen_load_id). Results change after the flag (penalties,
    disqualifications, appeals): the loader fetches them again (the amendment window, REFRESH_RESULTS=1) and
    raw keeps only the newest, so this incremental table is the history. A build adds a row when what OpenF1
    published for the driver (session_result's position, laps, flags, time and gap; his starting_grid slot)
    differs from his newest version here: a change in our own rules (a points seed, a status rule) is not an
    amendment and adds nothing. The row keeps the tracked fields as the marts showed them (position, status,
    points, laps, gap, grid). It is dated by the load that brought it, not the build, so the same loads give
    the same history.
    Never rebuilt from scratch (full_refresh: false): dbt build --full-refresh keeps the history.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['session_key', 'driver_number', 'first_seen_load_id'],
        full_refresh=false,
        on_schema_change='fail'
    )
}}
{%- set tracked = classification_tracked_fields() -%}
{%- set published_fields = [
    'position', 'laps_completed', 'is_dnf', 'is_dns', 'is_dsq', 'duration_s', 'gap_to_leader_s', 'gap_to_leader_laps'
] -%}
with

results as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_kind,
        driver_number,
        driver_id,
        driver_code,
        classified_position,
        status,
        points,
        laps_completed,
        gap_to_leader_s,
        grid_position
    from {{ ref('fct_session_results') }}
    where session_kind in ('race', 'sprint', 'qualifying', 'sprint_qualifying')

),

published as (

    -- what OpenF1 published: a version changes only when this (or the starting grid) does
    select
        {%- for column in published_fields %}
        {{ column }},
        {%- endfor %}
        session_key,
        driver_number
    from {{ ref('stg_openf1__session_results') }}

),

result_loads as (

    select
        session_key,
        driver_number,
        load_id
    from {{ ref('int_session_results_classified') }}

),

loads as (

    select
        load_id,
        loaded_at
    from {{ ref('stg_openf1__loads') }}

),

current_versions as (

    select
        results.session_key,
        results.meeting_key,
        results.season,
        results.round_number,
        results.session_kind,
        results.driver_number,
        results.driver_id,
        results.driver_code,
        {%- for column in tracked %}
        results.{{ column }},
        {%- endfor %}
        result_loads.load_id as first_seen_load_id,
        loads.loaded_at as first_seen_at,
        {{ dbt.hash(dbt.concat(
            version_fields(published_fields, 'published') + ["'|'"] + version_fields(['grid_position'], 'results')
        )) }} as version_hash
    from results
    inner join result_loads
        on
            results.session_key = result_loads.session_key
            and results.driver_number = result_loads.driver_number
    left outer join published
        on
            results.session_key = published.session_key
            and results.driver_number = published.driver_number
    left outer join loads
        on result_loads.load_id = loads.load_id

),

{% if is_incremental() %}
newest_known as (

    select
        session_key,
        driver_number,
        version_hash,
        row_number() over (
            partition by session_key, driver_number
            order by first_seen_load_id desc
        ) as recency_rank
    from {{ this }}

),

new_versions as (

    select current_versions.*
    from current_versions
    left outer join newest_known
        on
            current_versions.session_key = newest_known.session_key
            and current_versions.driver_number = newest_known.driver_number
            and newest_known.recency_rank = 1
    where
        newest_known.version_hash is null
        or newest_known.version_hash != current_versions.version_hash

)
{% else %}
new_versions as (

    select * from current_versions

)
{% endif %}

select * from new_versions
