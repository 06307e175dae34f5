-- The earliest race in the warehouse has nothing before it: no form, no circuit history, no season points.
-- A value there means a feature reads the race itself or a later one.
with

driver_race_features as (

    select
        race_session_key,
        driver_number,
        race_started_at,
        previous_races,
        circuit_previous_races,
        season_points_before_race,
        last_3_mean_points,
        last_5_mean_finish_position
    from {{ ref('driver_race_features') }}

),

first_race as (

    select min(race_started_at) as race_started_at
    from driver_race_features

),

failures as (

    select
        driver_race_features.race_session_key,
        driver_race_features.driver_number
    from driver_race_features
    inner join first_race
        on driver_race_features.race_started_at = first_race.race_started_at
    where
        driver_race_features.previous_races > 0
        or driver_race_features.circuit_previous_races > 0
        or driver_race_features.season_points_before_race > 0
        or driver_race_features.last_3_mean_points is not null
        or driver_race_features.last_5_mean_finish_position is not null

)

select * from failures
