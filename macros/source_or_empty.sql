{#-
    The import CTE body of a staging model: `select <columns>, _dlt_load_id from source(...)`, robust to what a
    snapshot lacks. `columns` maps each raw column to a kind ('int', 'float', 'text', 'bool', 'ts', 'json').
    - The source table does not exist (an endpoint the snapshot has no data for): zero rows with the same,
      typed columns, so every staging model and everything downstream still builds.
    - A column is missing (dlt creates a column only once it has seen a value): null of that kind.
    At parse time (no database) it selects from the source as written, so lineage is recorded.
    Dispatched: the typed nulls differ by warehouse (see empty_column_type).
-#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {{ return(adapter.dispatch('source_or_empty', 'openf1')(source_name, table_name, columns)) }}
{%- endmacro %}

{% macro default__source_or_empty(source_name, table_name, columns) -%}
    {%- set source_relation = source(source_name, table_name) -%}
    {%- set existing = none -%}
    {#- in a unit test, source() is the fixture CTE (no schema): select from it as written -#}
    {%- set is_fixture = source_relation.schema is none -%}
    {%- if execute and not is_fixture -%}
        {%- set existing = adapter.get_relation(
            database=source_relation.database,
            schema=source_relation.schema,
            identifier=source_relation.identifier,
        ) -%}
    {%- endif -%}
    {%- if existing is none and execute and not is_fixture -%}
    {#- no raw table: zero typed rows -#}
    select
        {%- for column_name, kind in columns.items() %}
        cast(null as {{ empty_column_type(kind) }}) as {{ raw_column(column_name) }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as _dlt_load_id
    from (select 1 as no_rows) as empty_source
    where 1 = 0
    {%- else -%}
    {%- set present = [] -%}
    {%- if execute and not is_fixture -%}
        {%- for column in adapter.get_columns_in_relation(existing) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    select
        {%- for column_name, kind in columns.items() %}
        {%- if not execute or is_fixture or column_name in present %}
        {{ raw_column(column_name) }},
        {%- else %}
        cast(null as {{ empty_column_type(kind) }}) as {{ raw_column(column_name) }},
        {%- endif %}
        {%- endfor %}
        _dlt_load_id
    from {{ source_relation }}
    {%- endif -%}
{%- endmacro %}

{#- A raw column's name as SQL: quoted when it is an SQL keyword (intervals.interval). -#}
{% macro raw_column(column_name) -%}
    {{ return(adapter.quote(column_name) if column_name in ['interval'] else column_name) }}
{%- endmacro %}

{#- The type a raw column of a given kind has as dlt loads it (for typed nulls). -#}
{% macro empty_column_type(kind) -%}
    {{ return(adapter.dispatch('empty_column_type', 'openf1')(kind)) }}
{%- endmacro %}

{% macro default__empty_column_type(kind) -%}
    {%- if kind == 'int' -%}{{ dbt.type_bigint() }}
    {%- elif kind == 'float' -%}{{ type_double() }}
    {%- elif kind == 'bool' -%}boolean
    {%- elif kind == 'ts' -%}timestamp with time zone
    {%- else -%}{{ dbt.type_string() }}
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__empty_column_type(kind) -%}
    {%- if kind == 'int' -%}int64
    {%- elif kind == 'float' -%}float64
    {%- elif kind == 'bool' -%}bool
    {%- elif kind == 'ts' -%}timestamp
    {%- else -%}string
    {%- endif -%}
{%- endmacro %}
