{%- set raw_columns = {
    'session_key': 'int',
    'meeting_key': 'int',
    'driver_number': 'int',
    'position': 'int',
    'number_of_laps': 'int',
    'dnf': 'bool',
    'dns': 'bool',
    'dsq': 'bool',
    'duration': 'json',
    'gap_to_leader': 'json',
    'points': 'float',
} -%}
with

source as (

    {{ source_or_empty('openf1', 'session_result', raw_columns) }}

),

latest as (

    {{ latest_load_rows('source', ['session_key', 'driver_number'], raw_columns) }}

),

flagged_array_results as (

    select
        *,
        coalesce(duration like '[%', false) as is_array_result
    from latest

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(position as {{ dbt.type_int() }}) as position,  -- noqa: RF04
        cast(number_of_laps as {{ dbt.type_int() }}) as laps_completed,
        coalesce(dnf, false) as is_dnf,
        coalesce(dns, false) as is_dns,
        coalesce(dsq, false) as is_dsq,
        case when not is_array_result then {{ gap_seconds('duration') }} end as duration_s,
        case when not is_array_result then {{ gap_seconds('gap_to_leader') }} end as gap_to_leader_s,
        case when not is_array_result then {{ gap_laps('gap_to_leader') }} end as gap_to_leader_laps,
        case
            when is_array_result
                then {{ dbt.safe_cast(json_array_element('duration', 0), type_double()) }}
        end as q1_duration_s,
        case
            when is_array_result
                then {{ dbt.safe_cast(json_array_element('duration', 1), type_double()) }}
        end as q2_duration_s,
        case
            when is_array_result
                then {{ dbt.safe_cast(json_array_element('duration', 2), type_double()) }}
        end as q3_duration_s,
        case
            when is_array_result
                then {{ dbt.safe_cast(json_array_element('gap_to_leader', 0), type_double()) }}
        end as q1_gap_to_leader_s,
        case
            when is_array_result
                then {{ dbt.safe_cast(json_array_element('gap_to_leader', 1), type_double()) }}
        end as q2_gap_to_leader_s,
        case
            when is_array_result
                then {{ dbt.safe_cast(json_array_element('gap_to_leader', 2), type_double()) }}
        end as q3_gap_to_leader_s,
        cast(points as {{ type_double() }}) as openf1_points,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as load_id
    from flagged_array_results

)

select * from renamed
