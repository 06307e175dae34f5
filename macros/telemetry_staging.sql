{#-
    The whole of a telemetry staging model (car_data, location): its config and its SQL, so each model is its
    columns and one call.

    Each session as of its newest complete load (macros/sessions_to_build.sql: rows of older loads the loader
    has not deleted yet, and of loads still running or abandoned, are never read); a key
    (session_key, driver_number, recorded_at) repeated within that load is kept once by latest_load_rows (the
    same row every build). Renamed and cast before the dedupe, so the session filter reaches the raw scan.
    A table, built incrementally (millions of rows: a view would run the dedupe again for every model and test
    reading it): a pre-hook deletes the sessions whose newest complete load changed, then the build appends the
    sessions the table does not hold, reading only those from the raw table (append on DuckDB; on BigQuery a
    merge without unique_key, which inserts every row: append_strategy).

    `measures` maps each raw telemetry column to its staged name, in output order; OpenF1 sends them as
    integers. session_key, meeting_key, date (-> recorded_at), driver_number and _dlt_load_id come first/last.
-#}
{% macro telemetry_staging(source_name, table_name, measures) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy=append_strategy(),
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ reset_key_checks() }}",
            "{{ delete_replaced_sessions('" ~ source_name ~ "', '" ~ table_name ~ "') }}",
        ],
    ) }}
    {%- set raw_columns = {'session_key': 'int', 'meeting_key': 'int', 'date': 'ts', 'driver_number': 'int'} -%}
    {%- for raw_name in measures -%}
        {%- do raw_columns.update({raw_name: 'int'}) -%}
    {%- endfor -%}
    {%- set staged_columns = ['session_key', 'meeting_key', 'recorded_at', 'driver_number'] + (measures.values() | list) -%}
    {%- set only_sessions_to_build = sessions_to_build(source_name, table_name) %}
with

source as (

    {{ source_or_empty(source_name, table_name, raw_columns) }}
    {{ only_sessions_to_build }}

),

finished_loads as (

    {{ finished_loads(source_name) }}

),

complete_loads as (

    select
        session_key,
        max(_dlt_load_id) as load_id
    from source
    where _dlt_load_id in (select finished_loads.load_id from finished_loads)
    group by session_key

),

of_complete_loads as (

    select source.*
    from source
    inner join complete_loads
        on
            source.session_key = complete_loads.session_key
            and source._dlt_load_id = complete_loads.load_id

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        {{ utc_timestamp('date') }} as recorded_at,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        {%- for raw_name, staged_name in measures.items() %}
        cast({{ raw_name }} as {{ dbt.type_int() }}) as {{ staged_name }},
        {%- endfor %}
        _dlt_load_id
    from of_complete_loads

),

deduplicated as (

    {{ latest_load_rows('renamed', ['session_key', 'driver_number', 'recorded_at'], staged_columns) }}

)

select * from deduplicated
{%- endmacro %}
