with

source as (

    select
        session_key,
        meeting_key,
        session_name,
        session_type,
        date_start,
        date_end,
        gmt_offset,
        is_cancelled,
        year,
        circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location,
        _dlt_load_id
    from {{ source('openf1', 'sessions') }}

),

ranked as (

    select
        *,
        -- latest load wins; rows of one load sharing a key are ordered on their values, so a build is repeatable
        row_number() over (
            partition by session_key
            order by _dlt_load_id desc, date_start asc, date_end asc, session_name asc, session_type asc, meeting_key asc
        ) as load_rank
    from source

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(year as {{ dbt.type_int() }}) as season,
        session_name,
        session_type,
        {{ session_kind('session_type', 'session_name') }} as session_kind,
        {{ utc_timestamp('date_start') }} as started_at,
        {{ utc_timestamp('date_end') }} as ended_at,
        gmt_offset as utc_offset,
        coalesce(is_cancelled, false) as is_cancelled,
        cast(circuit_key as {{ dbt.type_int() }}) as circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location as location_name
    from ranked
    where load_rank = 1

)

select * from renamed
