{#-
    The race-control feed of every session, newest first: one row per message (race_control_message_id) with
    its rank in the session (message_rank 1 = the latest; messages sharing an instant rank by their id) and
    the track status in force just after it (int_track_status_periods: the period that started at or before the
    message).
-#}
with

race_control as (

    select
        race_control_message_id,
        session_key,
        recorded_at,
        lap_number,
        category,
        flag,
        scope,
        sector_number,
        driver_number,
        message
    from {{ ref('stg_openf1__race_control') }}

),

track_status_periods as (

    select
        session_key,
        track_status,
        started_at,
        ended_at
    from {{ ref('int_track_status_periods') }}

),

final as (

    select
        race_control.race_control_message_id,
        race_control.session_key,
        race_control.recorded_at,
        race_control.lap_number,
        race_control.category,
        race_control.flag,
        race_control.scope,
        race_control.sector_number,
        race_control.driver_number,
        race_control.message,
        cast(
            row_number() over (
                partition by race_control.session_key
                order by race_control.recorded_at desc, race_control.race_control_message_id desc
            ) as {{ dbt.type_int() }}
        ) as message_rank,
        coalesce(track_status_periods.track_status, 'green') as track_status
    from race_control
    left outer join track_status_periods
        on
            race_control.session_key = track_status_periods.session_key
            and race_control.recorded_at >= track_status_periods.started_at
            and (track_status_periods.ended_at is null or race_control.recorded_at < track_status_periods.ended_at)

)

select * from final
