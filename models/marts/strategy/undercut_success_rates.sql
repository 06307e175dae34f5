{#-
    The observed success rate of green-flag undercuts (marts.undercuts: attempt_kind 'undercut', outcome
    'success' or 'failure'; 'unknown' outcomes and cheap stops left out) by the gap to the car ahead and the
    tyre-age difference, per circuit x season and over all circuits and seasons.
    Both are measured at the end of the lap before the attacker's stop (the lap the target is chosen on):
        gap_s = attacker's fct_laps.gap_to_leader_s - target's (both completed that lap; seconds);
        tyre_age_difference_laps = target's tyre age - attacker's (the same difference on the stop lap).
    The buckets are cut at vars undercut_gap_bucket_edges_s and undercut_tyre_age_difference_bucket_edges_laps,
    plus an 'unknown' bucket where a lap's gap or tyre age is missing. Every bucket pair has an 'all' row (all
    circuits and seasons: circuit_key and season null, attempts may be 0); 'circuit' rows exist only for the
    bucket pairs that circuit and season had attempts in. The bucket bounds are columns here, and
    fct_undercut_chances reads them: this model is the buckets' one home.
-#}
{%- set gap_edges = var('undercut_gap_bucket_edges_s') -%}
{%- set age_edges = var('undercut_tyre_age_difference_bucket_edges_laps') -%}
{#- the buckets: lower edge inclusive, upper exclusive, null where open; labels '< 1 s', '1-2 s', '3+ s' and
    '< 0', '0 to 2', '6+' (one lap wide: '5') -#}
{%- set gap_buckets = [] -%}
{%- for index in range(gap_edges | length + 1) -%}
{%- set lower = gap_edges[index - 1] if index > 0 else none -%}
{%- set upper = gap_edges[index] if index < gap_edges | length else none -%}
{%- if lower is none and upper is none -%}
{%- set label = 'any' -%}
{%- elif lower is none -%}
{%- set label = '< ' ~ upper ~ ' s' -%}
{%- elif upper is none -%}
{%- set label = lower ~ '+ s' -%}
{%- else -%}
{%- set label = lower ~ '-' ~ upper ~ ' s' -%}
{%- endif -%}
{%- do gap_buckets.append({'label': label, 'lower': lower, 'upper': upper}) -%}
{%- endfor -%}
{%- set age_buckets = [] -%}
{%- for index in range(age_edges | length + 1) -%}
{%- set lower = age_edges[index - 1] if index > 0 else none -%}
{%- set upper = age_edges[index] if index < age_edges | length else none -%}
{%- if lower is none and upper is none -%}
{%- set label = 'any' -%}
{%- elif lower is none -%}
{%- set label = '< ' ~ upper -%}
{%- elif upper is none -%}
{%- set label = lower ~ '+' -%}
{%- elif upper - lower == 1 -%}
{%- set label = lower | string -%}
{%- else -%}
{%- set label = lower ~ ' to ' ~ (upper - 1) -%}
{%- endif -%}
{%- do age_buckets.append({'label': label, 'lower': lower, 'upper': upper}) -%}
{%- endfor %}
with

undercuts as (

    select
        session_key,
        attacking_driver_number,
        target_driver_number,
        attacking_stop_lap,
        outcome
    from {{ ref('undercuts') }}
    where
        attempt_kind = 'undercut'
        and outcome in ('success', 'failure')

),

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        gap_to_leader_s,
        tyre_age_laps
    from {{ ref('fct_laps') }}

),

sessions as (

    select
        session_key,
        circuit_key,
        circuit_short_name,
        season
    from {{ ref('dim_sessions') }}

),

gap_buckets as (

    {%- for bucket in gap_buckets %}
    select
        '{{ bucket.label }}' as gap_bucket,
        {{ loop.index }} as gap_bucket_order,
        cast({{ 'null' if bucket.lower is none else bucket.lower }} as {{ type_double() }}) as gap_from_s,
        cast({{ 'null' if bucket.upper is none else bucket.upper }} as {{ type_double() }}) as gap_to_s
    union all
    {%- endfor %}
    select
        'unknown' as gap_bucket,
        {{ gap_buckets | length + 1 }} as gap_bucket_order,
        cast(null as {{ type_double() }}) as gap_from_s,
        cast(null as {{ type_double() }}) as gap_to_s

),

tyre_age_difference_buckets as (

    {%- for bucket in age_buckets %}
    select
        '{{ bucket.label }}' as tyre_age_difference_bucket,
        {{ loop.index }} as tyre_age_difference_bucket_order,
        cast({{ 'null' if bucket.lower is none else bucket.lower }} as {{ dbt.type_int() }})
            as tyre_age_difference_from_laps,
        cast({{ 'null' if bucket.upper is none else bucket.upper }} as {{ dbt.type_int() }})
            as tyre_age_difference_to_laps
    union all
    {%- endfor %}
    select
        'unknown' as tyre_age_difference_bucket,
        {{ age_buckets | length + 1 }} as tyre_age_difference_bucket_order,
        cast(null as {{ dbt.type_int() }}) as tyre_age_difference_from_laps,
        cast(null as {{ dbt.type_int() }}) as tyre_age_difference_to_laps

),

attempts_measured as (

    select
        sessions.circuit_key,
        sessions.circuit_short_name,
        sessions.season,
        attacker_lap.gap_to_leader_s - target_lap.gap_to_leader_s as gap_s,
        target_lap.tyre_age_laps - attacker_lap.tyre_age_laps as tyre_age_difference_laps,
        case when undercuts.outcome = 'success' then 1 else 0 end as is_success
    from undercuts
    inner join sessions
        on undercuts.session_key = sessions.session_key
    left outer join laps as attacker_lap
        on
            undercuts.session_key = attacker_lap.session_key
            and undercuts.attacking_driver_number = attacker_lap.driver_number
            and undercuts.attacking_stop_lap - 1 = attacker_lap.lap_number
    left outer join laps as target_lap
        on
            undercuts.session_key = target_lap.session_key
            and undercuts.target_driver_number = target_lap.driver_number
            and undercuts.attacking_stop_lap - 1 = target_lap.lap_number

),

attempts_bucketed as (

    -- each attempt falls in exactly one bucket of each kind (a missing measure in 'unknown')
    select
        attempts_measured.circuit_key,
        attempts_measured.circuit_short_name,
        attempts_measured.season,
        attempts_measured.is_success,
        gap_buckets.gap_bucket,
        tyre_age_difference_buckets.tyre_age_difference_bucket
    from attempts_measured
    inner join gap_buckets
        on
            (attempts_measured.gap_s is null and gap_buckets.gap_bucket = 'unknown')
            or (
                attempts_measured.gap_s is not null
                and gap_buckets.gap_bucket != 'unknown'
                and (gap_buckets.gap_from_s is null or attempts_measured.gap_s >= gap_buckets.gap_from_s)
                and (gap_buckets.gap_to_s is null or attempts_measured.gap_s < gap_buckets.gap_to_s)
            )
    inner join tyre_age_difference_buckets
        on
            (
                attempts_measured.tyre_age_difference_laps is null
                and tyre_age_difference_buckets.tyre_age_difference_bucket = 'unknown'
            )
            or (
                attempts_measured.tyre_age_difference_laps is not null
                and tyre_age_difference_buckets.tyre_age_difference_bucket != 'unknown'
                and (
                    tyre_age_difference_buckets.tyre_age_difference_from_laps is null
                    or attempts_measured.tyre_age_difference_laps
                    >= tyre_age_difference_buckets.tyre_age_difference_from_laps
                )
                and (
                    tyre_age_difference_buckets.tyre_age_difference_to_laps is null
                    or attempts_measured.tyre_age_difference_laps
                    < tyre_age_difference_buckets.tyre_age_difference_to_laps
                )
            )

),

circuit_counts as (

    select
        'circuit' as circuit_scope,
        circuit_key,
        circuit_short_name,
        season,
        gap_bucket,
        tyre_age_difference_bucket,
        count(*) as attempts,
        sum(is_success) as successes
    from attempts_bucketed
    group by circuit_key, circuit_short_name, season, gap_bucket, tyre_age_difference_bucket

),

all_circuit_counts as (

    select
        gap_bucket,
        tyre_age_difference_bucket,
        count(*) as attempts,
        sum(is_success) as successes
    from attempts_bucketed
    group by gap_bucket, tyre_age_difference_bucket

),

all_circuit_grid as (

    -- every bucket pair, with or without attempts
    select
        'all' as circuit_scope,
        cast(null as {{ dbt.type_int() }}) as circuit_key,
        cast(null as {{ dbt.type_string() }}) as circuit_short_name,
        cast(null as {{ dbt.type_int() }}) as season,
        gap_buckets.gap_bucket,
        tyre_age_difference_buckets.tyre_age_difference_bucket,
        coalesce(all_circuit_counts.attempts, 0) as attempts,
        coalesce(all_circuit_counts.successes, 0) as successes
    from gap_buckets
    cross join tyre_age_difference_buckets
    left outer join all_circuit_counts
        on
            gap_buckets.gap_bucket = all_circuit_counts.gap_bucket
            and tyre_age_difference_buckets.tyre_age_difference_bucket
            = all_circuit_counts.tyre_age_difference_bucket

),

counts as (

    select * from circuit_counts
    union all
    select * from all_circuit_grid

),

final as (

    select
        counts.circuit_scope,
        counts.circuit_key,
        counts.circuit_short_name,
        counts.season,
        counts.gap_bucket,
        gap_buckets.gap_bucket_order,
        gap_buckets.gap_from_s,
        gap_buckets.gap_to_s,
        counts.tyre_age_difference_bucket,
        tyre_age_difference_buckets.tyre_age_difference_bucket_order,
        tyre_age_difference_buckets.tyre_age_difference_from_laps,
        tyre_age_difference_buckets.tyre_age_difference_to_laps,
        cast(counts.attempts as {{ dbt.type_bigint() }}) as attempts,
        cast(counts.successes as {{ dbt.type_bigint() }}) as successes,
        cast(counts.successes as {{ type_double() }}) / nullif(counts.attempts, 0) as success_rate
    from counts
    inner join gap_buckets
        on counts.gap_bucket = gap_buckets.gap_bucket
    inner join tyre_age_difference_buckets
        on counts.tyre_age_difference_bucket = tyre_age_difference_buckets.tyre_age_difference_bucket

)

select * from final
