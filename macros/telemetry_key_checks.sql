{#-
    The key test of the telemetry staging models rechecks only the sessions whose rows have not passed it yet.
    Those models hold tens of millions of rows a season and keep every season: checking all of them on every
    build made each build cost the whole history.

    `_telemetry_keys_passed` (model_name, session_key), in the models' schema, lists the sessions of each model
    whose rows passed the key test:
    - written after a build in which every node passed (`record_passed_key_checks`, run by make transform), for
      every session the model then holds: each was appended by a run whose tests ran in the same build;
    - a session is forgotten the moment its rows are replaced (`delete_replaced_sessions`), and every session of
      a model built from scratch (first build, full refresh: `reset_key_checks`, its pre-hook).
    A session whose test failed is never recorded, so it is checked again on every build until it passes. DuckDB
    only: on BigQuery the test reads every row, as before.
-#}

{#- Whether this warehouse keeps the ledger: DuckDB; elsewhere (BigQuery) the key test reads every row. -#}
{% macro key_checks_kept() -%}
    {{ return(adapter.dispatch('key_checks_kept', 'openf1')()) }}
{%- endmacro %}

{% macro default__key_checks_kept() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro duckdb__key_checks_kept() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro key_checks_relation(schema, database=none) -%}
    {{ return(api.Relation.create(database=database, schema=schema, identifier='_telemetry_keys_passed')) }}
{%- endmacro %}

{#- The models whose primary_key test skips passed sessions, as relations (those built so far). -#}
{% macro key_checked_models() -%}
    {%- set models = [] -%}
    {%- for test in graph.nodes.values() | sort(attribute='unique_id')
        if test.resource_type == 'test' and (test.get('test_metadata') or {}).get('name') == 'primary_key'
        and test.test_metadata.kwargs.get('skip_passed_sessions') -%}
        {%- do models.append(graph.nodes[test.depends_on.nodes[0]]) -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}

{#- An on-run-start hook (one at a time: models built side by side would conflict creating it): the ledger
    exists in each checked model's schema. -#}
{% macro create_key_checks_ledgers() -%}
    {%- if not execute or not key_checks_kept() -%}
        {{ return('') }}
    {%- endif -%}
    {%- for model in key_checked_models() -%}
        {%- set ledger = key_checks_relation(model.schema, model.database) -%}
        {%- do run_query('create schema if not exists ' ~ adapter.quote(model.schema)) -%}
        {%- do run_query('create table if not exists ' ~ ledger ~ ' (model_name varchar, session_key integer)') -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- A checked model's pre-hook: a model built from scratch has passed nothing. -#}
{% macro reset_key_checks() -%}
    {%- if execute and key_checks_kept() and not is_incremental() -%}
        {%- set ledger = key_checks_relation(this.schema, this.database) -%}
        {%- do run_query('delete from ' ~ ledger ~ " where model_name = '" ~ this.identifier ~ "'") -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- The sessions (an SQL list) whose rows `this` is about to delete have not passed anything any more. -#}
{% macro forget_key_checks(sessions) -%}
    {%- if execute and key_checks_kept() -%}
        {%- set ledger = key_checks_relation(this.schema, this.database) -%}
        {%- do run_query(
            'delete from ' ~ ledger ~ " where model_name = '" ~ this.identifier ~ "' and session_key in " ~ sessions
        ) -%}
    {%- endif -%}
{%- endmacro %}

{#- The primary_key test's filter: the sessions of `model` not yet passed. -#}
{% macro unchecked_sessions_filter(model) -%}
    {%- if not key_checks_kept() -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(
        'where session_key not in (select passed.session_key from ' ~ key_checks_relation(model.schema, model.database)
        ~ " as passed where passed.model_name = '" ~ model.identifier ~ "')"
    ) }}
{%- endmacro %}

{#- make transform, after a build in which every node passed: record the sessions each checked model holds. -#}
{% macro record_passed_key_checks() -%}
    {%- if not execute or not key_checks_kept() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set recorded = [] -%}
    {%- for model in key_checked_models() -%}
        {%- set relation = adapter.get_relation(database=model.database, schema=model.schema, identifier=model.alias or model.name) -%}
        {%- if relation is not none -%}
            {%- set ledger = key_checks_relation(relation.schema, relation.database) -%}
            {%- do run_query(
                'insert into ' ~ ledger ~ " select distinct '" ~ relation.identifier ~ "', session_key from "
                ~ relation ~ ' where session_key not in (select session_key from ' ~ ledger
                ~ " where model_name = '" ~ relation.identifier ~ "')"
            ) -%}
            {%- do recorded.append(relation.identifier) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}  {#- run-operation rolls back what it does not commit -#}
    {%- do log('key checks recorded: ' ~ (recorded | join(', ')), info=false) -%}
{%- endmacro %}
