with

overtakes as (

    select
        session_key,
        meeting_key,
        overtaken_at,
        overtaking_driver_number,
        overtaken_driver_number,
        position_gained
    from {{ ref('stg_openf1__overtakes') }}

),

sessions as (

    select
        session_key,
        season,
        session_date
    from {{ ref('dim_sessions') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_id
    from {{ ref('int_drivers_identified') }}

),

final as (

    select
        overtakes.session_key,
        overtakes.meeting_key,
        sessions.season,
        sessions.session_date,
        overtakes.overtaken_at,
        overtakes.overtaking_driver_number,
        overtaking_drivers.driver_id as overtaking_driver_id,
        overtakes.overtaken_driver_number,
        overtaken_drivers.driver_id as overtaken_driver_id,
        overtakes.position_gained
    from overtakes
    left outer join sessions
        on overtakes.session_key = sessions.session_key
    left outer join drivers as overtaking_drivers
        on
            overtakes.session_key = overtaking_drivers.session_key
            and overtakes.overtaking_driver_number = overtaking_drivers.driver_number
    left outer join drivers as overtaken_drivers
        on
            overtakes.session_key = overtaken_drivers.session_key
            and overtakes.overtaken_driver_number = overtaken_drivers.driver_number

)

select * from final
