with

source as (

    {{ source_or_empty('openf1', 'stints', {
        'session_key': 'int',
        'meeting_key': 'int',
        'driver_number': 'int',
        'stint_number': 'int',
        'lap_start': 'int',
        'lap_end': 'int',
        'compound': 'text',
        'tyre_age_at_start': 'int',
    }) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by session_key, driver_number, stint_number
            order by _dlt_load_id desc
        ) as load_rank
    from source

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        cast(stint_number as {{ dbt.type_int() }}) as stint_number,
        cast(lap_start as {{ dbt.type_int() }}) as first_lap_number,
        cast(lap_end as {{ dbt.type_int() }}) as last_lap_number,
        upper(compound) as compound,
        cast(tyre_age_at_start as {{ dbt.type_int() }}) as tyre_age_at_start_laps
    from ranked
    where load_rank = 1

)

select * from renamed
