{#-
    The classification of every session, one row per (session_key, driver_number), with our own status:
    OpenF1 leaves a disqualified driver with position null and dsq false, so a driver without a position who
    neither retired nor failed to start is DSQ when he completed 90% of the winner's laps (or OpenF1 gives no
    laps), else NC (not classified: running at the end but too far behind).
    OpenF1 sometimes omits a driver who did not start from session_result while the drivers endpoint lists him:
    a driver entered in a race or sprint that has a result but absent from it is added as DNS (no position,
    no points), so he stands in the classification and the championship like any other entrant.
-#}
with

reported_results as (

    select
        session_key,
        driver_number,
        position,
        laps_completed,
        is_dnf,
        is_dns,
        is_dsq,
        duration_s,
        gap_to_leader_s,
        gap_to_leader_laps,
        openf1_points,
        load_id
    from {{ ref('stg_openf1__session_results') }}

),

drivers as (

    select distinct
        session_key,
        driver_number
    from {{ ref('stg_openf1__drivers') }}
    where driver_number is not null

),

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        session_kind
    from {{ ref('stg_openf1__sessions') }}

),

sessions_with_results as (

    -- a missing starter is known from the load that brought the session's result
    select
        session_key,
        max(load_id) as load_id
    from reported_results
    group by session_key

),

missing_starters as (

    -- entered (drivers endpoint) in a race or sprint with a result, but absent from that result
    select
        drivers.session_key,
        drivers.driver_number,
        sessions_with_results.load_id
    from drivers
    inner join sessions_with_results
        on drivers.session_key = sessions_with_results.session_key
    inner join sessions
        on drivers.session_key = sessions.session_key
    left outer join reported_results
        on
            drivers.session_key = reported_results.session_key
            and drivers.driver_number = reported_results.driver_number
    where
        sessions.session_kind in ('race', 'sprint')
        and reported_results.driver_number is null

),

session_results as (

    select
        session_key,
        driver_number,
        position,
        laps_completed,
        is_dnf,
        is_dns,
        is_dsq,
        duration_s,
        gap_to_leader_s,
        gap_to_leader_laps,
        openf1_points,
        load_id
    from reported_results

    union all

    select
        session_key,
        driver_number,
        cast(null as {{ dbt.type_int() }}) as position,  -- noqa: RF04
        0 as laps_completed,
        false as is_dnf,
        true as is_dns,
        false as is_dsq,
        cast(null as {{ type_double() }}) as duration_s,
        cast(null as {{ type_double() }}) as gap_to_leader_s,
        cast(null as {{ dbt.type_int() }}) as gap_to_leader_laps,
        cast(null as {{ type_double() }}) as openf1_points,
        load_id
    from missing_starters

),

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        lap_duration_s
    from {{ ref('stg_openf1__laps') }}

),

fastest_laps as (

    select
        session_key,
        driver_number,
        lap_number,
        lap_duration_s,
        row_number() over (
            partition by session_key
            order by lap_duration_s asc, lap_number asc, driver_number asc
        ) as session_lap_rank
    from laps
    where lap_duration_s is not null

),

with_session as (

    select
        session_results.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.session_name,
        sessions.session_type,
        session_results.driver_number,
        session_results.position,
        session_results.laps_completed,
        session_results.is_dnf,
        session_results.is_dns,
        session_results.is_dsq,
        session_results.duration_s,
        session_results.gap_to_leader_s,
        session_results.gap_to_leader_laps,
        session_results.openf1_points,
        session_results.load_id,
        sessions.session_kind,
        max(case when session_results.position = 1 then session_results.laps_completed end)
            over (partition by session_results.session_key) as winner_laps
    from session_results
    inner join sessions
        on session_results.session_key = sessions.session_key

),

classified as (

    select
        with_session.*,
        case
            when with_session.is_dsq then 'DSQ'
            when with_session.is_dns then 'DNS'
            when with_session.position is not null then 'classified'
            when with_session.is_dnf then 'DNF'
            when
                with_session.laps_completed is null
                or with_session.laps_completed >= 0.9 * with_session.winner_laps
                then 'DSQ'
            else 'NC'
        end as result_class,
        coalesce(
            with_session.gap_to_leader_laps,
            case
                when with_session.winner_laps > with_session.laps_completed
                    then with_session.winner_laps - with_session.laps_completed
            end,
            0
        ) as laps_behind
    from with_session

),

final as (

    select
        classified.session_key,
        classified.meeting_key,
        classified.season,
        classified.session_name,
        classified.session_type,
        classified.session_kind,
        classified.driver_number,
        case when classified.result_class = 'classified' then classified.position end as classified_position,
        classified.result_class,
        case
            when classified.result_class != 'classified' then classified.result_class
            when classified.session_kind not in ('race', 'sprint') then 'finished'
            when classified.laps_behind = 0 then 'finished'
            when classified.laps_behind = 1 then '+1 lap'
            else {{ dbt.concat(["'+'", dbt.safe_cast('classified.laps_behind', dbt.type_string()), "' laps'"]) }}
        end as status,
        classified.is_dnf as is_retired,
        classified.laps_completed,
        classified.winner_laps,
        case when classified.result_class = 'classified' then classified.laps_behind end as laps_behind,
        classified.duration_s,
        classified.gap_to_leader_s,
        coalesce(fastest_laps.session_lap_rank = 1, false) as has_fastest_lap,
        fastest_laps.lap_duration_s as fastest_lap_duration_s,
        classified.openf1_points,
        classified.load_id
    from classified
    left outer join fastest_laps
        on
            classified.session_key = fastest_laps.session_key
            and classified.driver_number = fastest_laps.driver_number
            and fastest_laps.session_lap_rank = 1

)

select * from final
