{#-
    The sessions an incremental model built from the telemetry of fct_laps' sessions (re)builds: every session
    that started at or after the newest one the model holds, and any session it does not hold yet (telemetry
    loaded later for an older session). As an SQL list, looked up before the model runs (a literal list lets the
    warehouse filter the telemetry staging tables at their scan); `(-1)` when there is none. Adding a round reads
    that round's telemetry only. Telemetry reloaded for a session already held needs --full-refresh (make build
    FULL_REFRESH=1). Only in an incremental run (`is_incremental()`), at execution.
-#}
{% macro telemetry_sessions_to_refresh() -%}
    {%- set lookup -%}
        select distinct session_key
        from {{ ref('fct_laps') }}
        where
            session_started_at >= (
                select max(held_laps.session_started_at)
                from {{ ref('fct_laps') }} as held_laps
                where held_laps.session_key in (select held.session_key from {{ this }} as held)
            )
            or session_key not in (select held.session_key from {{ this }} as held)
    {%- endset -%}
    {%- set sessions = run_query(lookup).columns[0].values() | map('int') | list -%}
    {{ return('(' ~ ((sessions or [-1]) | join(', ')) ~ ')') }}
{%- endmacro %}

{#- The pre-hook of such a model: its rows of the sessions it rebuilds go first (a lap's samples may change in
    number; the model then appends them again). Empty on a full build. -#}
{% macro delete_refreshed_sessions() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {{ return('delete from ' ~ this ~ ' where session_key in ' ~ telemetry_sessions_to_refresh()) }}
{%- endmacro %}

{#- The whole set-up of such a model, called first in it: its config (incremental, appended after the pre-hook
    deletes the sessions it rebuilds) and, returned, the SQL list of sessions to read (none on a full build). -#}
{% macro refresh_by_session() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy=append_strategy(),
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_refreshed_sessions() }}",
    ) }}
    {{ return(telemetry_sessions_to_refresh() if is_incremental() and execute else none) }}
{%- endmacro %}
