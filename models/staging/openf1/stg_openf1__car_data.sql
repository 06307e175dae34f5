with

source as (

    {{ source_or_empty('openf1', 'car_data', {
        'session_key': 'int',
        'meeting_key': 'int',
        'date': 'ts',
        'driver_number': 'int',
        'rpm': 'int',
        'speed': 'int',
        'n_gear': 'int',
        'throttle': 'int',
        'brake': 'int',
        'drs': 'int',
    }) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by session_key, driver_number, date
            order by _dlt_load_id desc
        ) as load_rank
    from source

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        {{ utc_timestamp('date') }} as recorded_at,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(rpm as {{ dbt.type_int() }}) as engine_rpm,
        cast(speed as {{ dbt.type_int() }}) as speed_kph,
        cast(n_gear as {{ dbt.type_int() }}) as gear,
        cast(throttle as {{ dbt.type_int() }}) as throttle_pct,
        cast(brake as {{ dbt.type_int() }}) as brake_pct,
        cast(drs as {{ dbt.type_int() }}) as drs_code
    from ranked
    where load_rank = 1

)

select * from renamed
