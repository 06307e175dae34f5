{#-
    Per session and endpoint: what arrived against what the session should have. `endpoints` below is the one
    list of which endpoints OpenF1 publishes for which kind of session (`expected_in`; a row for each) and which
    are only counted (`counted_in`: telemetry and team radio are opt-in or selective, pit outside races). A
    session is in scope when it is not cancelled and started no later than the latest session with any data, so
    a season's sessions still to come are left out while a past session with no data at all is reported.
-#}
{#- a number as text, for the notes: as_text | format('column') -#}
{%- set as_text = 'cast(%s as ' ~ dbt.type_string() ~ ')' -%}
{%- set all_kinds = ['race', 'sprint', 'qualifying', 'sprint_qualifying', 'practice'] -%}
{%- set race_kinds = ['race', 'sprint'] -%}
{%- set qualifying_kinds = ['qualifying', 'sprint_qualifying'] -%}
{%- set endpoints = [
    {'name': 'session_result', 'model': 'stg_openf1__session_results', 'expected_in': all_kinds, 'counted_in': []},
    {'name': 'drivers', 'model': 'stg_openf1__drivers', 'expected_in': all_kinds, 'counted_in': []},
    {'name': 'laps', 'model': 'stg_openf1__laps', 'expected_in': all_kinds, 'counted_in': []},
    {'name': 'stints', 'model': 'stg_openf1__stints', 'expected_in': all_kinds, 'counted_in': []},
    {'name': 'pit', 'model': 'stg_openf1__pit_stops', 'expected_in': race_kinds,
        'counted_in': ['qualifying', 'sprint_qualifying', 'practice']},
    {'name': 'race_control', 'model': 'stg_openf1__race_control', 'expected_in': all_kinds, 'counted_in': []},
    {'name': 'weather', 'model': 'stg_openf1__weather', 'expected_in': all_kinds, 'counted_in': []},
    {'name': 'starting_grid', 'model': 'stg_openf1__starting_grids', 'expected_in': qualifying_kinds,
        'counted_in': []},
    {'name': 'intervals', 'model': 'stg_openf1__intervals', 'expected_in': race_kinds, 'counted_in': []},
    {'name': 'position', 'model': 'stg_openf1__positions', 'expected_in': race_kinds, 'counted_in': []},
    {'name': 'overtakes', 'model': 'stg_openf1__overtakes', 'expected_in': race_kinds, 'counted_in': []},
    {'name': 'team_radio', 'model': 'stg_openf1__team_radios', 'expected_in': [], 'counted_in': all_kinds},
    {'name': 'car_data', 'model': 'stg_openf1__car_data', 'expected_in': [], 'counted_in': all_kinds},
    {'name': 'location', 'model': 'stg_openf1__locations', 'expected_in': [], 'counted_in': all_kinds},
] -%}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_name,
        session_kind,
        started_at,
        is_cancelled
    from {{ ref('dim_sessions') }}

),

meetings as (

    select
        meeting_key,
        meeting_name
    from {{ ref('dim_meetings') }}

),

driver_completeness as (

    select
        session_key,
        is_classified,
        laps_completed,
        has_driver_row,
        lap_rows,
        laps_missing,
        unknown_compound_stints,
        stint_changes,
        pit_stops,
        pit_stops_missing,
        stint_changes_missing
    from {{ ref('session_driver_data_completeness') }}

),

endpoint_rows as (

    {% for endpoint in endpoints %}
    select
        session_key,
        '{{ endpoint.name }}' as endpoint,
        count(*) as rows_received
    from {{ ref(endpoint.model) }}
    group by session_key
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- one row per endpoint and kind of session it is reported for
endpoint_catalogue as (

    {% for endpoint in endpoints %}
    {% set endpoint_loop = loop %}
    {% for session_kind in endpoint.expected_in + endpoint.counted_in %}
    select
        '{{ endpoint.name }}' as endpoint,
        '{{ session_kind }}' as session_kind,
        {{ 'true' if session_kind in endpoint.expected_in else 'false' }} as is_expected
    {% if not (endpoint_loop.last and loop.last) %}union all{% endif %}
    {% endfor %}
    {% endfor %}

),

sessions_with_data as (

    select sessions.started_at
    from endpoint_rows
    inner join sessions
        on endpoint_rows.session_key = sessions.session_key

),

sessions_in_scope as (

    select
        sessions.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.round_number,
        meetings.meeting_name,
        sessions.session_name,
        sessions.session_kind,
        sessions.started_at
    from sessions
    left outer join meetings
        on sessions.meeting_key = meetings.meeting_key
    where
        not coalesce(sessions.is_cancelled, false)
        and sessions.started_at <= (select max(sessions_with_data.started_at) from sessions_with_data)

),

driver_checks as (

    select
        session_key,
        count(case when is_classified then 1 end) as classified_drivers,
        count(case when laps_completed > 0 then 1 end) as drivers_with_classified_laps,
        cast(sum(laps_completed) as {{ dbt.type_bigint() }}) as laps_expected,
        count(case when laps_missing > 0 then 1 end) as drivers_missing_laps,
        cast(sum(laps_missing) as {{ dbt.type_bigint() }}) as laps_missing,
        count(case when is_classified and not has_driver_row then 1 end) as classified_drivers_without_driver_row,
        count(case when not is_classified and lap_rows > 0 then 1 end) as unclassified_drivers_with_laps,
        cast(sum(stint_changes) as {{ dbt.type_bigint() }}) as stint_changes,
        cast(sum(pit_stops) as {{ dbt.type_bigint() }}) as pit_stops,
        cast(sum(pit_stops_missing) as {{ dbt.type_bigint() }}) as pit_stops_missing,
        count(case when pit_stops_missing > 0 then 1 end) as drivers_missing_pit_stops,
        cast(sum(stint_changes_missing) as {{ dbt.type_bigint() }}) as stint_changes_missing,
        cast(sum(unknown_compound_stints) as {{ dbt.type_bigint() }}) as unknown_compound_stints,
        count(case when unknown_compound_stints > 0 or stint_changes_missing > 0 then 1 end)
            as drivers_with_stint_gaps
    from driver_completeness
    group by session_key

),

session_endpoints as (

    select
        sessions_in_scope.session_key,
        sessions_in_scope.meeting_key,
        sessions_in_scope.season,
        sessions_in_scope.round_number,
        sessions_in_scope.meeting_name,
        sessions_in_scope.session_name,
        sessions_in_scope.session_kind,
        sessions_in_scope.started_at,
        endpoint_catalogue.endpoint,
        endpoint_catalogue.is_expected,
        driver_checks.drivers_with_classified_laps,
        driver_checks.laps_expected,
        driver_checks.drivers_missing_laps,
        driver_checks.laps_missing,
        driver_checks.classified_drivers_without_driver_row,
        driver_checks.unclassified_drivers_with_laps,
        driver_checks.stint_changes,
        driver_checks.pit_stops,
        driver_checks.pit_stops_missing,
        driver_checks.drivers_missing_pit_stops,
        driver_checks.stint_changes_missing,
        driver_checks.unknown_compound_stints,
        driver_checks.drivers_with_stint_gaps,
        coalesce(endpoint_rows.rows_received, 0) as rows_received,
        coalesce(driver_checks.classified_drivers, 0) as classified_drivers
    from sessions_in_scope
    inner join endpoint_catalogue
        on sessions_in_scope.session_kind = endpoint_catalogue.session_kind
    left outer join endpoint_rows
        on
            sessions_in_scope.session_key = endpoint_rows.session_key
            and endpoint_catalogue.endpoint = endpoint_rows.endpoint
    left outer join driver_checks
        on sessions_in_scope.session_key = driver_checks.session_key

),

-- each endpoint's own check, where it has one: the drivers found short and the items missing
endpoint_checks as (

    select
        session_endpoints.*,
        max(session_endpoints.rows_received) over (partition by session_endpoints.endpoint) > 0
            as is_endpoint_loaded,
        case session_endpoints.endpoint
            when 'laps' then coalesce(session_endpoints.drivers_missing_laps, 0)
            when 'drivers' then coalesce(session_endpoints.classified_drivers_without_driver_row, 0)
            when 'session_result' then coalesce(session_endpoints.unclassified_drivers_with_laps, 0)
            when 'pit' then coalesce(session_endpoints.drivers_missing_pit_stops, 0)
            when 'stints' then coalesce(session_endpoints.drivers_with_stint_gaps, 0)
        end as endpoint_drivers_missing
    from session_endpoints

),

with_status as (

    select
        endpoint_checks.*,
        case
            when endpoint_checks.rows_received = 0 and not endpoint_checks.is_expected then 'not_loaded'
            when endpoint_checks.rows_received = 0 and not endpoint_checks.is_endpoint_loaded then 'not_loaded'
            -- no pit rows are due when no stint change implies a stop (many sprints)
            when
                endpoint_checks.rows_received = 0
                and endpoint_checks.endpoint = 'pit'
                and coalesce(endpoint_checks.stint_changes, 0) = 0
                then 'complete'
            when endpoint_checks.rows_received = 0 then 'missing'
            when endpoint_checks.is_expected and endpoint_checks.endpoint_drivers_missing > 0 then 'partial'
            when
                endpoint_checks.is_expected
                and endpoint_checks.endpoint = 'stints'
                and endpoint_checks.unknown_compound_stints > 0
                then 'partial'
            else 'complete'
        end as status
    from endpoint_checks

),

with_note as (

    select
        with_status.*,
        case
            when with_status.status = 'not_loaded' and not with_status.is_expected
                then 'optional: no rows for this session'
            when with_status.status = 'not_loaded'
                then 'no rows for any session in this warehouse: the endpoint was not loaded'
            when with_status.status = 'complete' and with_status.endpoint = 'pit' and with_status.rows_received = 0
                then 'no pit rows, and no stint change implies a stop'
            when with_status.status = 'missing' and with_status.endpoint = 'pit'
                then {{ dbt.concat([
                    "'no pit rows; stints imply stops: '", as_text | format('with_status.stint_changes'),
                ]) }}
            when with_status.status = 'missing' and with_status.endpoint = 'laps' and with_status.laps_expected > 0
                then {{ dbt.concat([
                    "'no lap rows; classified laps: '", as_text | format('with_status.laps_expected'),
                ]) }}
            when with_status.status = 'missing'
                then 'no rows for this session, though other sessions have them'
            when with_status.status = 'partial' and with_status.endpoint = 'laps'
                then {{ dbt.concat([
                    "'laps missing for '", as_text | format('with_status.drivers_missing_laps'),
                    "' of '", as_text | format('with_status.drivers_with_classified_laps'),
                    "' classified drivers: '", as_text | format('with_status.laps_missing'),
                    "' of '", as_text | format('with_status.laps_expected'), "' classified laps have no row'",
                ]) }}
            when with_status.status = 'partial' and with_status.endpoint = 'drivers'
                then {{ dbt.concat([
                    "'no drivers row (name, team) for '", as_text | format('with_status.classified_drivers_without_driver_row'),
                    "' of '", as_text | format('with_status.classified_drivers'), "' classified drivers'",
                ]) }}
            when with_status.status = 'partial' and with_status.endpoint = 'session_result'
                then {{ dbt.concat([
                    "'drivers with laps but no classification row: '",
                    as_text | format('with_status.unclassified_drivers_with_laps'),
                ]) }}
            when with_status.status = 'partial' and with_status.endpoint = 'pit'
                then {{ dbt.concat([
                    "'no pit row for '", as_text | format('with_status.pit_stops_missing'),
                    "' of '", as_text | format('with_status.stint_changes'), "' stint changes (drivers: '",
                    as_text | format('with_status.drivers_missing_pit_stops'), "')'",
                ]) }}
            when with_status.status = 'partial' and with_status.endpoint = 'stints'
                then {{ dbt.concat([
                    "case when with_status.unknown_compound_stints > 0 then "
                    ~ dbt.concat([
                        "'compound null or unknown in '", as_text | format('with_status.unknown_compound_stints'),
                        "' of '", as_text | format('with_status.rows_received'), "' stints'",
                    ])
                    ~ " else '' end",
                    "case when with_status.unknown_compound_stints > 0 and with_status.stint_changes_missing > 0"
                    ~ " then '; ' else '' end",
                    "case when with_status.stint_changes_missing > 0 then "
                    ~ dbt.concat([
                        "'no new stint after '", as_text | format('with_status.stint_changes_missing'),
                        "' of '", as_text | format('with_status.pit_stops'), "' pit stops'",
                    ])
                    ~ " else '' end",
                ]) }}
        end as note
    from with_status

),

final as (

    select
        session_key,
        endpoint,
        meeting_key,
        season,
        round_number,
        meeting_name,
        session_name,
        session_kind,
        started_at as session_started_at,
        is_expected,
        is_endpoint_loaded,
        status,
        note,
        rows_received,
        classified_drivers,
        case when is_expected then endpoint_drivers_missing end as drivers_missing,
        case when endpoint = 'laps' then laps_expected end as laps_expected,
        case when endpoint = 'laps' then laps_missing end as laps_missing,
        case when endpoint in ('pit', 'stints') then stint_changes end as stint_changes,
        case when endpoint in ('pit', 'stints') then pit_stops end as pit_stops,
        case when endpoint = 'pit' then pit_stops_missing end as pit_stops_missing,
        case when endpoint = 'stints' then stint_changes_missing end as stint_changes_missing,
        case when endpoint = 'stints' then unknown_compound_stints end as unknown_compound_stints
    from with_note

)

select * from final
