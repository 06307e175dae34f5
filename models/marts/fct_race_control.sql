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
        upper(message) like '%PENALTY%' as is_penalty,
        -- the same pattern int_track_status_periods opens its 'vsc' periods with
        coalesce(
            {{ neutralisation_kind('category', 'message') }} = 'virtual_safety_car', false
        ) as is_virtual_safety_car
    from race_control

)

select * from final
