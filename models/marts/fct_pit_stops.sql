with

pit_stops as (

    select
        session_key,
        meeting_key,
        session_kind,
        driver_number,
        stop_number,
        lap_number,
        pitted_at,
        lane_duration_s,
        stop_duration_s,
        stint_number_before,
        stint_number_after,
        compound_before,
        compound_after,
        track_status_at_stop,
        stop_kind
    from {{ ref('int_pit_stops_classified') }}

),

sessions as (

    select
        session_key,
        season,
        session_date,
        session_name,
        session_type,
        circuit_key
    from {{ ref('stg_openf1__sessions') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code,
        team_name
    from {{ ref('int_drivers_identified') }}

),

final as (

    select
        pit_stops.session_key,
        pit_stops.meeting_key,
        sessions.season,
        sessions.session_date,
        sessions.session_name,
        sessions.session_type,
        pit_stops.session_kind,
        sessions.circuit_key,
        pit_stops.driver_number,
        drivers.driver_id,
        drivers.driver_code,
        drivers.team_name,
        pit_stops.stop_number,
        pit_stops.stop_kind,
        pit_stops.track_status_at_stop,
        pit_stops.lap_number,
        pit_stops.pitted_at,
        pit_stops.lane_duration_s,
        pit_stops.stop_duration_s,
        pit_stops.stint_number_before,
        pit_stops.stint_number_after,
        pit_stops.compound_before,
        pit_stops.compound_after,
        pit_stops.stint_number_after is not null as has_stint_change
    from pit_stops
    inner join sessions
        on pit_stops.session_key = sessions.session_key
    left outer join drivers
        on
            pit_stops.session_key = drivers.session_key
            and pit_stops.driver_number = drivers.driver_number

)

select * from final
