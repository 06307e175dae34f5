{#-
    Who beat their teammate? One row per (season, team, pair of teammates) over the Grand Prix weekends they
    shared: races and qualifyings each finished ahead, and their points in those races. The pair's first driver
    is the one who finished ahead more often (then the one with more points, then the driver id).
-#}
with

head_to_heads as (

    select
        season,
        team_name,
        driver_id,
        driver_code,
        teammate_driver_id,
        teammate_driver_code,
        races_together,
        races_ahead,
        points,
        qualifyings_together,
        qualifyings_ahead
    from {{ ref('teammate_head_to_heads') }}

),

pairs as (

    select
        driver.season,
        driver.team_name,
        driver.driver_code,
        driver.teammate_driver_code,
        driver.races_together,
        driver.races_ahead,
        teammate.races_ahead as teammate_races_ahead,
        driver.qualifyings_together,
        driver.qualifyings_ahead,
        teammate.qualifyings_ahead as teammate_qualifyings_ahead,
        driver.points,
        teammate.points as teammate_points
    from head_to_heads as driver
    inner join head_to_heads as teammate
        on
            driver.season = teammate.season
            and driver.team_name = teammate.team_name
            and driver.driver_id = teammate.teammate_driver_id
            and driver.teammate_driver_id = teammate.driver_id
    -- each pair once, from the side of the driver who came out on top
    where
        driver.races_ahead > teammate.races_ahead
        or (driver.races_ahead = teammate.races_ahead and coalesce(driver.points, 0) > coalesce(teammate.points, 0))
        or (
            driver.races_ahead = teammate.races_ahead
            and coalesce(driver.points, 0) = coalesce(teammate.points, 0)
            and driver.driver_id < teammate.driver_id
        )

),

final as (

    select
        season,
        team_name,
        driver_code,
        teammate_driver_code,
        races_together,
        races_ahead,
        teammate_races_ahead,
        qualifyings_together,
        qualifyings_ahead,
        teammate_qualifyings_ahead,
        points,
        teammate_points,
        points - teammate_points as points_margin
    from pairs

)

select * from final
order by season, team_name, driver_code, teammate_driver_code
