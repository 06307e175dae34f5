{#-
    Incremental telemetry staging, session by session. A session is built from its newest complete load: the
    newest `_dlt_load_id` among its raw rows that `_dlt_loads` records as finished (status 0). Raw may hold
    older loads of it for a while (the loader deletes them after its run) and rows of a load still running or
    abandoned; neither is ever read. A build reads the sessions whose newest complete load the table does not
    hold (new, reloaded, or back to an older load: `sessions_to_build`) and appends them, after a pre-hook has
    deleted the table's rows of sessions whose load changed or is gone (`delete_replaced_sessions`). Both lists
    are looked up before anything runs (the model is compiled before its pre-hook deletes) and written as
    literals, so the warehouse filters the raw table at its scan. Append only, on either warehouse.
-#}

{#- The finished loads (load_id): `_dlt_loads` rows with status 0; none when the table does not exist yet. -#}
{% macro finished_loads(source_name) -%}
    {%- set loads = source(source_name, '_dlt_loads') -%}
    {%- set existing = none -%}
    {%- if execute and loads.schema is not none -%}
        {%- set existing = adapter.get_relation(database=loads.database, schema=loads.schema, identifier=loads.identifier) -%}
    {%- endif -%}
    {%- if execute and loads.schema is not none and existing is none -%}
    select cast(null as {{ dbt.type_string() }}) as load_id
    from (select 1 as no_rows) as no_loads
    where 1 = 0
    {%- else -%}
    select load_id
    from {{ loads }}
    where status = 0
    {%- endif -%}
{%- endmacro %}

{#- The body of a CTE (session_key, load_id): each session's newest complete load in the raw table. -#}
{% macro newest_complete_loads(source_name, table_name) -%}
    select
        session_key,
        max(_dlt_load_id) as load_id
    from {{ source(source_name, table_name) }}
    where _dlt_load_id in ({{ finished_loads(source_name) }})
    group by session_key
{%- endmacro %}

{#- The raw table to compare with, or none: on a full build, in a unit test (source() is then the fixture
    CTE, without a schema) and when the raw table does not exist (source_or_empty gives zero rows). -#}
{% macro incremental_raw_relation(source_name, table_name) -%}
    {%- set raw = source(source_name, table_name) -%}
    {%- if not execute or raw.schema is none or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=raw.database, schema=raw.schema, identifier=raw.identifier)) }}
{%- endmacro %}

{#- The sessions whose newest complete load in the raw table and the load the model holds differ, as an SQL
    list (`(-1)` when none: matches no session): those the raw table has (side 'loaded': to build) or those
    the model holds (side 'held': to delete). -#}
{% macro changed_sessions(source_name, table_name, side) -%}
    {%- set other = 'held' if side == 'loaded' else 'loaded' -%}
    {%- set lookup -%}
        with

        loaded as (
            {{ newest_complete_loads(source_name, table_name) }}
        ),

        held as (
            select
                session_key,
                max(_dlt_load_id) as load_id
            from {{ this }}
            group by session_key
        )

        select {{ side }}.session_key
        from {{ side }}
        left outer join {{ other }} on {{ side }}.session_key = {{ other }}.session_key
        where {{ other }}.load_id is null or {{ other }}.load_id != {{ side }}.load_id
    {%- endset -%}
    {%- set sessions = run_query(lookup).columns[0].values() | map('int') | list -%}
    {{ return('(' ~ ((sessions or [-1]) | join(', ')) ~ ')') }}
{%- endmacro %}

{% macro sessions_to_build(source_name, table_name) -%}
    {%- if incremental_raw_relation(source_name, table_name) is none -%}
        {{ return('') }}
    {%- endif -%}
    {{ return('where session_key in ' ~ changed_sessions(source_name, table_name, 'loaded')) }}
{%- endmacro %}

{% macro delete_replaced_sessions(source_name, table_name) -%}
    {%- if incremental_raw_relation(source_name, table_name) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set sessions = changed_sessions(source_name, table_name, 'held') -%}
    {%- if sessions == '(-1)' -%}
        {{ return('') }}
    {%- endif -%}
    {%- do forget_key_checks(sessions) -%}
    {{ return('delete from ' ~ this ~ ' where session_key in ' ~ sessions) }}
{%- endmacro %}

{#- The incremental strategy that only inserts: `append`; dbt-bigquery has none by that name, and its `merge`
    without a unique_key merges on false, i.e. inserts every row. -#}
{% macro append_strategy() -%}
    {{ return(adapter.dispatch('append_strategy', 'openf1')()) }}
{%- endmacro %}

{% macro default__append_strategy() -%}
    {{ return('append') }}
{%- endmacro %}

{% macro bigquery__append_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}
