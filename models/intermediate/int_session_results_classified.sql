{#-
    The classification of every session, one row per (session_key, driver_number), with our own status:
    OpenF1 leaves a disqualified driver with position null and dsq false, so a driver without a position who
    neither retired nor failed to start is DSQ when he completed 90% of the winner's laps (or OpenF1 gives no
    laps), else NC (not classified: running at the end but too far behind).
-#}
with

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
        openf1_points
    from {{ ref('stg_openf1__session_results') }}

),

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type
    from {{ ref('stg_openf1__sessions') }}

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
        case
            when sessions.session_type = 'Race' and sessions.session_name like '%Sprint%' then 'sprint'
            when sessions.session_type = 'Race' then 'race'
            when sessions.session_type = 'Qualifying' then 'qualifying'
            else 'practice'
        end as session_kind,
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
        classified.openf1_points
    from classified
    left outer join fastest_laps
        on
            classified.session_key = fastest_laps.session_key
            and classified.driver_number = fastest_laps.driver_number
            and fastest_laps.session_lap_rank = 1

)

select * from final
