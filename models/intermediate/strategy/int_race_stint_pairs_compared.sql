{#-
    One row per pair of a driver's fitted stints in a race (int_race_stints_fitted; the earlier stint first).
    In the tyre and fuel model a stint's wear-free level is the driver's pace plus its compound's offset plus
    the fuel effect times its age_minus_lap, so the difference of two stints' levels is
    offset(later compound) - offset(earlier compound) + fuel effect x (difference of age_minus_lap):
    the driver's own pace cancels. Pairs with the same two compounds in the same order share the offset term.
-#}
with

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        compound,
        age_minus_lap,
        wear_free_level_s
    from {{ ref('int_race_stints_fitted') }}

),

final as (

    select
        earlier.session_key,
        earlier.driver_number,
        earlier.stint_number as earlier_stint_number,
        later.stint_number as later_stint_number,
        earlier.compound as earlier_compound,
        later.compound as later_compound,
        later.wear_free_level_s - earlier.wear_free_level_s as level_difference_s,
        later.age_minus_lap - earlier.age_minus_lap as age_minus_lap_difference
    from stints as earlier
    inner join stints as later
        on
            earlier.session_key = later.session_key
            and earlier.driver_number = later.driver_number
            and earlier.stint_number < later.stint_number

)

select * from final
