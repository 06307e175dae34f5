{#-
    Each season's champions, or its leaders while it is still running: one row per season with the drivers'
    and the constructors' standing leader (position 1 of driver_standings and constructor_standings) after the
    latest round whose Grand Prix has a classification. A season is complete when every round of its calendar
    (championship_points_available, the calendar's one home: dim_meetings' rounds with a Grand Prix not
    cancelled) has its Grand Prix classified; OpenF1 lists a season's meetings ahead of time, so a season loaded
    mid-way has rounds still to run.
-#}
with

calendar as (

    -- the calendar's one home: championship_points_available (every round of dim_meetings with a Grand Prix
    -- not cancelled, and whether that Grand Prix has a classification), once per championship
    select
        season,
        round as round_number,
        race_session_key,
        is_race_classified
    from {{ ref('championship_points_available') }}
    where championship = 'drivers'

),

driver_standings as (

    select
        season,
        round,
        driver_id,
        driver_code,
        full_name,
        latest_team_name,
        points,
        wins,
        position
    from {{ ref('driver_standings') }}

),

constructor_standings as (

    select
        season,
        round,
        team_name,
        points,
        wins,
        position
    from {{ ref('constructor_standings') }}

),

scheduled as (

    select
        season,
        count(*) as scheduled_rounds
    from calendar
    group by season

),

raced as (

    select
        season,
        count(*) as completed_rounds,
        max(round_number) as latest_round_number
    from calendar
    where is_race_classified
    group by season

),

seasons as (

    select
        raced.season,
        raced.latest_round_number,
        raced.completed_rounds,
        scheduled.scheduled_rounds,
        calendar.race_session_key as latest_race_session_key,
        raced.completed_rounds = scheduled.scheduled_rounds as is_season_complete
    from raced
    inner join scheduled
        on raced.season = scheduled.season
    left outer join calendar
        on
            raced.season = calendar.season
            and raced.latest_round_number = calendar.round_number

),

final as (

    select
        seasons.season,
        seasons.latest_round_number,
        seasons.completed_rounds,
        seasons.scheduled_rounds,
        seasons.is_season_complete,
        seasons.latest_race_session_key,
        driver_leaders.driver_id as drivers_leader_driver_id,
        driver_leaders.driver_code as drivers_leader_driver_code,
        driver_leaders.full_name as drivers_leader_full_name,
        driver_leaders.latest_team_name as drivers_leader_team_name,
        driver_leaders.points as drivers_leader_points,
        driver_leaders.wins as drivers_leader_wins,
        constructor_leaders.team_name as constructors_leader_team_name,
        constructor_leaders.points as constructors_leader_points,
        constructor_leaders.wins as constructors_leader_wins
    from seasons
    left outer join driver_standings as driver_leaders
        on
            seasons.season = driver_leaders.season
            and seasons.latest_round_number = driver_leaders.round
            and driver_leaders.position = 1
    left outer join constructor_standings as constructor_leaders
        on
            seasons.season = constructor_leaders.season
            and seasons.latest_round_number = constructor_leaders.round
            and constructor_leaders.position = 1

)

select * from final
