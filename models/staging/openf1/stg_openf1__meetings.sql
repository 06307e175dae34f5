with

source as (

    select
        meeting_key,
        meeting_name,
        meeting_official_name,
        circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location,
        gmt_offset,
        date_start,
        year,
        _dlt_load_id
    from {{ source('openf1', 'meetings') }}

),

ranked as (

    select
        *,
        row_number() over (partition by meeting_key order by _dlt_load_id desc) as load_rank
    from source

),

renamed as (

    select
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(year as {{ dbt.type_int() }}) as season,
        meeting_name,
        meeting_official_name,
        cast(circuit_key as {{ dbt.type_int() }}) as circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location as location_name,
        gmt_offset as utc_offset,
        {{ utc_timestamp('date_start') }} as started_at
    from ranked
    where load_rank = 1

)

select * from renamed
