with

source as (

    select
        session_key,
        meeting_key,
        driver_number,
        broadcast_name,
        full_name,
        first_name,
        last_name,
        name_acronym,
        team_name,
        team_colour,
        headshot_url,
        country_code,
        _dlt_load_id
    from {{ source('openf1', 'drivers') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by session_key, driver_number
            order by _dlt_load_id desc, name_acronym asc nulls last, team_name asc nulls last
        ) as load_rank
    from source

),

renamed as (

    select
        cast(session_key as {{ dbt.type_int() }}) as session_key,
        cast(meeting_key as {{ dbt.type_int() }}) as meeting_key,
        cast(driver_number as {{ dbt.type_int() }}) as driver_number,
        broadcast_name,
        full_name,
        first_name,
        last_name,
        team_name,
        headshot_url,
        country_code,
        upper(name_acronym) as driver_code,
        lower(team_colour) as team_colour_hex
    from ranked
    where load_rank = 1

)

select * from renamed
