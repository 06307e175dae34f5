with

source as (

    {{ source_or_empty('openf1', 'pit', {
        'session_key': 'int',
        'meeting_key': 'int',
        'driver_number': 'int',
        'lap_number': 'int',
        'date': 'ts',
        'lane_duration': 'float',
        'pit_duration': 'float',
        'stop_duration': 'float',
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
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(lap_number as {{ dbt.type_int() }}) as lap_number,
        {{ utc_timestamp('date') }} as pitted_at,
        cast(coalesce(lane_duration, pit_duration) as {{ type_double() }}) as lane_duration_s,
        cast(pit_duration as {{ type_double() }}) as pit_duration_s,
        cast(stop_duration as {{ type_double() }}) as stop_duration_s
    from ranked
    where load_rank = 1

)

select * from renamed
