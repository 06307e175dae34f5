{#- Renamed and cast before the dedupe, so a filter on session_key reaches the raw table's scan
    (DuckDB pushes it through the window on its partition key): what keeps an incremental build of
    lap_telemetry_features from reading a season of telemetry.
    A table, built incrementally (millions of rows: a view would run the dedupe again for every model and
    test reading it): a build reads only the sessions loaded since (macro sessions_to_build) and replaces
    those sessions' rows (BigQuery: merges them on the grain).
    The dedupe ranks only the rows whose key occurs more than once (found by a group by): a window over every
    row of a season took 10 s, this 4 s. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **replace_sessions_config(grain=['session_key', 'driver_number', 'recorded_at'])
    )
}}
{%- set only_sessions_to_build = sessions_to_build('openf1', 'location') %}
with

source as (

    {{ source_or_empty('openf1', 'location', {
        'session_key': 'int',
        'meeting_key': 'int',
        'date': 'ts',
        'driver_number': 'int',
        'x': 'int',
        'y': 'int',
        'z': 'int',
    }) }}
    {{ only_sessions_to_build }}

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        {{ utc_timestamp('date') }} as recorded_at,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(x as {{ dbt.type_int() }}) as x_position,
        cast(y as {{ dbt.type_int() }}) as y_position,
        cast(z as {{ dbt.type_int() }}) as z_position,
        _dlt_load_id
    from source

),

duplicated_keys as (

    select
        session_key,
        driver_number,
        recorded_at
    from renamed
    group by session_key, driver_number, recorded_at
    having count(*) > 1

),

flagged as (

    select
        renamed.*,
        duplicated_keys.session_key is not null as has_duplicates
    from renamed
    left outer join duplicated_keys
        on
            renamed.session_key = duplicated_keys.session_key
            and renamed.driver_number = duplicated_keys.driver_number
            and renamed.recorded_at = duplicated_keys.recorded_at

),

ranked as (

    select
        *,
        row_number() over (
            partition by session_key, driver_number, recorded_at
            order by _dlt_load_id desc
        ) as load_rank
    from flagged
    where has_duplicates

),

deduplicated as (

    select
        session_key,
        meeting_key,
        recorded_at,
        driver_number,
        x_position,
        y_position,
        z_position,
        _dlt_load_id
    from flagged
    where not has_duplicates
    union all
    select
        session_key,
        meeting_key,
        recorded_at,
        driver_number,
        x_position,
        y_position,
        z_position,
        _dlt_load_id
    from ranked
    where load_rank = 1

)

select * from deduplicated
