{#-
    The leader of every lap of every race and sprint, one row per (session_key, lap_number): the car first at
    the lap's end (fct_laps.position_at_lap_end 1, or the best position held there; ties on the car number) and
    the track status when his lap started, the race's status on that lap. A lap no car holds a position at is
    left out. fct_laps stays as it is (incremental and contracted): the race's lap lives here.
-#}
with

races as (

    select session_key
    from {{ ref('dim_sessions') }}
    where session_kind in ('race', 'sprint')

),

laps as (

    select
        session_key,
        meeting_key,
        season,
        lap_number,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        position_at_lap_end,
        track_status
    from {{ ref('fct_laps') }}
    where position_at_lap_end is not null

),

ranked as (

    select
        laps.session_key,
        laps.meeting_key,
        laps.season,
        laps.lap_number,
        laps.driver_number,
        laps.driver_id,
        laps.driver_code,
        laps.team_name,
        laps.track_status,
        row_number() over (
            partition by laps.session_key, laps.lap_number
            order by laps.position_at_lap_end, laps.driver_number
        ) as lap_rank
    from laps
    inner join races
        on laps.session_key = races.session_key

),

final as (

    select
        session_key,
        meeting_key,
        season,
        lap_number,
        driver_number as leader_driver_number,
        driver_id as leader_driver_id,
        driver_code as leader_driver_code,
        team_name as leader_team_name,
        track_status
    from ranked
    where lap_rank = 1

)

select * from final
