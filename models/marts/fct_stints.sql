with

stints as (

    select
        session_key,
        meeting_key,
        driver_number,
        stint_number,
        first_lap_number,
        last_lap_number,
        compound,
        tyre_age_at_start_laps
    from {{ ref('stg_openf1__stints') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code,
        team_name
    from {{ ref('int_drivers_identified') }}

),

laps as (

    select
        session_key,
        driver_number,
        stint_number,
        lap_duration_s,
        is_clean_lap
    from {{ ref('int_laps_enriched') }}

),

stint_laps as (

    select
        session_key,
        driver_number,
        stint_number,
        count(*) as laps_recorded,
        count(case when is_clean_lap then 1 end) as clean_laps,
        avg(case when is_clean_lap then lap_duration_s end) as clean_lap_mean_duration_s,
        min(case when is_clean_lap then lap_duration_s end) as clean_lap_best_duration_s
    from laps
    where stint_number is not null
    group by session_key, driver_number, stint_number

),

final as (

    select
        stints.session_key,
        stints.meeting_key,
        stints.driver_number,
        drivers.driver_id,
        drivers.driver_code,
        drivers.team_name,
        stints.stint_number,
        stints.first_lap_number,
        stints.last_lap_number,
        stints.compound,
        stints.tyre_age_at_start_laps,
        stint_laps.clean_lap_mean_duration_s,
        stint_laps.clean_lap_best_duration_s,
        case
            when stints.last_lap_number >= stints.first_lap_number
                then stints.last_lap_number - stints.first_lap_number + 1
        end as stint_length_laps,
        stints.tyre_age_at_start_laps
        + case
            when stints.last_lap_number >= stints.first_lap_number
                then stints.last_lap_number - stints.first_lap_number + 1
            else 0
        end as tyre_age_at_end_laps,
        coalesce(stint_laps.laps_recorded, 0) as laps_recorded,
        coalesce(stint_laps.clean_laps, 0) as clean_laps
    from stints
    left outer join drivers
        on
            stints.session_key = drivers.session_key
            and stints.driver_number = drivers.driver_number
    left outer join stint_laps
        on
            stints.session_key = stint_laps.session_key
            and stints.driver_number = stint_laps.driver_number
            and stints.stint_number = stint_laps.stint_number

)

select * from final
