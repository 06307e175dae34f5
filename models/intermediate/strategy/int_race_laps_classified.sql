{#-
    One row per lap of the race distance of every Grand Prix (1 .. the winner's laps: the most laps a classified
    car completed, else dim_sessions.laps_run; OpenF1's lap data can run a lap past the flag): the track status the
    field ran that lap under ('green', 'vsc', 'sc' or 'red': the most severe neutralisation that was out at
    some moment of most of the field's laps with that number, so the lap a safety car is called in counts, and
    else green) and, on a neutralised lap, the time the field took for it (the mean over the
    cars neither entering nor leaving the pits on it). The race-time model runs green laps at the modelled pace
    and neutralised laps at that time, whatever the tyres.
-#}
with

race_sessions as (

    select
        session_key,
        laps_run
    from {{ ref('dim_sessions') }}
    where session_kind = 'race' and laps_run > 0

),

classified_laps as (

    select
        session_key,
        max(laps_completed) as most_laps_completed
    from {{ ref('fct_session_results') }}
    where session_kind = 'race' and classified_position is not null
    group by session_key

),

sessions as (

    select
        race_sessions.session_key,
        coalesce(classified_laps.most_laps_completed, race_sessions.laps_run) as race_laps
    from race_sessions
    left outer join classified_laps
        on race_sessions.session_key = classified_laps.session_key

),

laps as (

    select
        session_key,
        driver_number,
        lap_number,
        started_at,
        completed_at,
        lap_duration_s,
        is_pit_in_lap,
        is_pit_out_lap
    from {{ ref('fct_laps') }}

),

neutralisations as (

    -- a local yellow does not neutralise the field
    select
        session_key,
        track_status,
        started_at,
        ended_at,
        case track_status when 'red' then 1 when 'sc' then 2 else 3 end as severity
    from {{ ref('int_track_status_periods') }}
    where track_status in ('sc', 'vsc', 'red')

),

laps_neutralised as (

    -- each lap's most severe neutralisation out at some moment of it
    select
        laps.session_key,
        laps.driver_number,
        laps.lap_number,
        min(neutralisations.severity) as severity
    from laps
    inner join neutralisations
        on
            laps.session_key = neutralisations.session_key
            and laps.completed_at > neutralisations.started_at
            and (laps.started_at < neutralisations.ended_at or neutralisations.ended_at is null)
    group by laps.session_key, laps.driver_number, laps.lap_number

),

laps_statused as (

    select
        laps.session_key,
        laps.lap_number,
        coalesce(laps_neutralised.severity, 4) as severity
    from laps
    left outer join laps_neutralised
        on
            laps.session_key = laps_neutralised.session_key
            and laps.driver_number = laps_neutralised.driver_number
            and laps.lap_number = laps_neutralised.lap_number
    where laps.started_at is not null

),

status_counts as (

    select
        session_key,
        lap_number,
        severity,
        case severity when 1 then 'red' when 2 then 'sc' when 3 then 'vsc' else 'green' end as track_status,
        count(*) as cars
    from laps_statused
    group by session_key, lap_number, severity

),

lap_statuses as (

    select
        session_key,
        lap_number,
        track_status,
        row_number() over (
            partition by session_key, lap_number
            order by cars desc, severity asc
        ) as status_rank
    from status_counts

),

neutralised_times as (

    select
        session_key,
        lap_number,
        avg(lap_duration_s) as field_lap_duration_s
    from laps
    where
        not coalesce(is_pit_in_lap, false)
        and not coalesce(is_pit_out_lap, false)
        and lap_duration_s is not null
    group by session_key, lap_number

),

lap_numbers as (

    select distinct lap_number
    from laps

),

spine as (

    select
        sessions.session_key,
        lap_numbers.lap_number
    from sessions
    inner join lap_numbers
        on sessions.race_laps >= lap_numbers.lap_number

),

final as (

    select
        spine.session_key,
        spine.lap_number,
        coalesce(lap_statuses.track_status, 'green') as track_status,
        case
            when coalesce(lap_statuses.track_status, 'green') != 'green'
                then neutralised_times.field_lap_duration_s
        end as neutralised_lap_duration_s
    from spine
    left outer join lap_statuses
        on
            spine.session_key = lap_statuses.session_key
            and spine.lap_number = lap_statuses.lap_number
            and lap_statuses.status_rank = 1
    left outer join neutralised_times
        on
            spine.session_key = neutralised_times.session_key
            and spine.lap_number = neutralised_times.lap_number

)

select * from final
