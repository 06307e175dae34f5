with

source as (

    {{ source_or_empty('openf1', 'team_radio', {
        'session_key': 'int',
        'meeting_key': 'int',
        'date': 'ts',
        'driver_number': 'int',
        'recording_url': 'text',
    }) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by session_key, date, driver_number
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
        recording_url
    from ranked
    where load_rank = 1

)

select * from renamed
