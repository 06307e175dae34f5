with

race_control as (

    select
        race_control_message_id,
        session_key,
        meeting_key,
        recorded_at,
        driver_number,
        lap_number,
        sector_number,
        category,
        flag,
        scope,
        message,
        qualifying_phase
    from {{ ref('stg_openf1__race_control') }}

),

final as (

    select
        race_control_message_id,
        session_key,
        meeting_key,
        recorded_at,
        driver_number,
        lap_number,
        sector_number,
        category,
        flag,
        scope,
        message,
        qualifying_phase,
        upper(message) like '%SAFETY CAR%' and upper(message) like '%DEPLOYED%' as is_safety_car_deployment,
        upper(message) like '%PENALTY%' as is_penalty
    from race_control

)

select * from final
