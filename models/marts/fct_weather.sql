with

weather as (

    select
        session_key,
        meeting_key,
        recorded_at,
        air_temperature_c,
        track_temperature_c,
        humidity_pct,
        air_pressure_mbar,
        rainfall,
        wind_direction_deg,
        wind_speed_mps
    from {{ ref('stg_openf1__weather') }}

),

final as (

    select
        session_key,
        meeting_key,
        recorded_at,
        air_temperature_c,
        track_temperature_c,
        humidity_pct,
        air_pressure_mbar,
        wind_direction_deg,
        wind_speed_mps,
        rainfall > 0 as is_raining
    from weather

)

select * from final
