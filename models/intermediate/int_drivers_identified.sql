{#-
    A driver identity that survives number changes: OpenF1's driver_number is an attribute of a driver in a
    session (the number 1 moves between drivers; Bearman drove #38 and #50 in 2024). The identity is the
    three-letter acronym with the last name, taken from the season's most complete row of that acronym, so a
    session row missing its name still maps to the same driver.
-#}
with

drivers as (

    select
        session_key,
        meeting_key,
        driver_number,
        driver_code,
        full_name,
        first_name,
        last_name,
        team_name,
        team_colour_hex,
        headshot_url,
        country_code
    from {{ ref('stg_openf1__drivers') }}

),

sessions as (

    select
        session_key,
        season,
        started_at
    from {{ ref('stg_openf1__sessions') }}

),

drivers_in_season as (

    select
        drivers.session_key,
        drivers.meeting_key,
        sessions.season,
        sessions.started_at as session_started_at,
        drivers.driver_number,
        drivers.driver_code,
        drivers.full_name,
        drivers.first_name,
        drivers.team_name,
        drivers.team_colour_hex,
        drivers.headshot_url,
        drivers.country_code,
        -- the acronym's last name in the season, so rows without a name still resolve
        coalesce(
            drivers.last_name,
            max(drivers.last_name) over (partition by sessions.season, drivers.driver_code)
        ) as last_name
    from drivers
    inner join sessions
        on drivers.session_key = sessions.session_key

),

identified as (

    select
        session_key,
        meeting_key,
        season,
        session_started_at,
        driver_number,
        driver_code,
        full_name,
        first_name,
        last_name,
        team_name,
        team_colour_hex,
        headshot_url,
        country_code,
        case
            when
                driver_code is null
                then {{ dbt.concat(["'car-'", dbt.safe_cast('driver_number', dbt.type_string())]) }}
            else lower(
                {{ dbt.concat(["driver_code", "'-'", "replace(trim(coalesce(last_name, '')), ' ', '-')"]) }}
            )
        end as driver_id
    from drivers_in_season

)

select * from identified
