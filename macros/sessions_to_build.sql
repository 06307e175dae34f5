{#-
    The filter of an incremental telemetry staging model's import CTE: `where session_key in (...)` naming the
    sessions whose raw rows are of a newer load than the rows the model holds for them, or that it does not
    hold at all (a new round, a reloaded session). Looked up before the query runs, as a literal list, so the
    warehouse filters the raw table at its scan. Empty on a full build, and when the raw table does not exist
    (source_or_empty then gives zero rows anyway).
-#}
{% macro sessions_to_build(source_name, table_name) -%}
    {%- set raw = source(source_name, table_name) -%}
    {#- in a unit test, source() is the fixture CTE (no schema) and there is no table to compare with -#}
    {%- if not execute or raw.schema is none or this is none or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(database=raw.database, schema=raw.schema, identifier=raw.identifier) -%}
    {%- if existing is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lookup -%}
        with

        loaded as (
            select
                session_key,
                max(_dlt_load_id) as load_id
            from {{ raw }}
            group by session_key
        ),

        built as (
            select
                session_key,
                max(_dlt_load_id) as load_id
            from {{ this }}
            group by session_key
        )

        select loaded.session_key
        from loaded
        left outer join built on loaded.session_key = built.session_key
        where built.load_id is null or loaded.load_id > built.load_id
    {%- endset -%}
    {%- set sessions = run_query(lookup).columns[0].values() | map('int') | list -%}
    {{ return('where session_key in (' ~ ((sessions or [-1]) | join(', ')) ~ ')') }}
{%- endmacro %}

{#-
    The incremental settings that go with sessions_to_build: replace the rebuilt sessions' rows. DuckDB deletes
    every row of those sessions and inserts the new ones; BigQuery (no delete+insert in dbt-bigquery) merges the
    new rows on the model's grain.
-#}
{% macro replace_sessions_config(grain) -%}
    {{ return(adapter.dispatch('replace_sessions_config', 'openf1')(grain)) }}
{%- endmacro %}

{% macro default__replace_sessions_config(grain) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': 'session_key'}) }}
{%- endmacro %}

{% macro bigquery__replace_sessions_config(grain) -%}
    {{ return({'incremental_strategy': 'merge', 'unique_key': grain}) }}
{%- endmacro %}
