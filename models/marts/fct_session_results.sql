{#-
    The classification of every session with points computed from seeds/points_systems.csv: the position's
    points for the season, session kind and completed-distance band (shortened races), plus the fastest-lap
    bonus where the season has one and the driver finished in its eligible positions. OpenF1's scraped points
    sit beside ours (openf1_points) for comparison.
-#}
with

results as (

    select
        session_key,
        meeting_key,
        season,
        session_name,
        session_type,
        session_kind,
        driver_number,
        classified_position,
        result_class,
        status,
        is_retired,
        laps_completed,
        winner_laps,
        laps_behind,
        duration_s,
        gap_to_leader_s,
        has_fastest_lap,
        fastest_lap_duration_s,
        openf1_points
    from {{ ref('int_session_results_classified') }}

),

drivers as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code,
        full_name,
        team_name
    from {{ ref('int_drivers_identified') }}

),

rounds as (

    select
        meeting_key,
        round_number,
        race_session_key,
        sprint_session_key,
        qualifying_session_key,
        sprint_qualifying_session_key
    from {{ ref('int_race_weekends_numbered') }}

),

starting_grids as (

    -- starting_grid's session_key is the qualifying session that set the grid
    select
        session_key as qualifying_session_key,
        driver_number,
        grid_position
    from {{ ref('stg_openf1__starting_grids') }}

),

grids as (

    -- the grid of each race and sprint: the weekend's matching qualifying's starting grid
    select
        rounds.race_session_key as session_key,
        starting_grids.driver_number,
        starting_grids.grid_position
    from rounds
    inner join starting_grids
        on rounds.qualifying_session_key = starting_grids.qualifying_session_key

    union all

    select
        rounds.sprint_session_key as session_key,
        starting_grids.driver_number,
        starting_grids.grid_position
    from rounds
    inner join starting_grids
        on rounds.sprint_qualifying_session_key = starting_grids.qualifying_session_key

),

points_systems as (

    select
        first_season,
        last_season,
        session_kind,
        min_completed_distance_pct,
        max_completed_distance_pct,
        finishing_position,
        points
    from {{ ref('points_systems') }}

),

sessions as (

    select
        session_key,
        session_date
    from {{ ref('dim_sessions') }}

),

race_distances as (

    select
        session_key,
        scheduled_laps
    from {{ ref('race_distances') }}

),

with_distance as (

    select
        results.*,
        -- a race absent from race_distances ran its full distance
        100.0 * results.winner_laps / nullif(coalesce(race_distances.scheduled_laps, results.winner_laps), 0)
            as completed_distance_pct
    from results
    left outer join race_distances
        on results.session_key = race_distances.session_key

),

position_points as (

    select
        with_distance.session_key,
        with_distance.driver_number,
        points_systems.points
    from with_distance
    inner join points_systems
        on
            with_distance.session_kind = points_systems.session_kind
            and with_distance.season between points_systems.first_season and points_systems.last_season
            and with_distance.classified_position = points_systems.finishing_position
            and with_distance.completed_distance_pct >= points_systems.min_completed_distance_pct
            and with_distance.completed_distance_pct < points_systems.max_completed_distance_pct
    -- no points unless the leader completed two laps
    where with_distance.winner_laps >= 2

),

fastest_lap_points as (

    select
        with_distance.session_key,
        with_distance.driver_number,
        points_systems.points
    from with_distance
    inner join points_systems
        on
            points_systems.session_kind = 'fastest_lap'
            and with_distance.season between points_systems.first_season and points_systems.last_season
            and with_distance.classified_position <= points_systems.finishing_position
    where
        with_distance.session_kind = 'race'
        and with_distance.has_fastest_lap
        and with_distance.winner_laps >= 2

),

scored as (

    select
        with_distance.session_key,
        with_distance.meeting_key,
        with_distance.season,
        rounds.round_number,
        sessions.session_date,
        with_distance.session_name,
        with_distance.session_type,
        with_distance.session_kind,
        with_distance.driver_number,
        drivers.driver_id,
        drivers.driver_code,
        drivers.full_name,
        drivers.team_name,
        with_distance.classified_position,
        grids.grid_position,
        with_distance.result_class,
        with_distance.status,
        with_distance.is_retired,
        with_distance.laps_completed,
        with_distance.laps_behind,
        with_distance.duration_s,
        with_distance.gap_to_leader_s,
        with_distance.completed_distance_pct,
        with_distance.has_fastest_lap,
        with_distance.fastest_lap_duration_s,
        with_distance.openf1_points,
        case
            when with_distance.session_kind in ('race', 'sprint')
                then coalesce(position_points.points, 0) + coalesce(fastest_lap_points.points, 0)
        end as points,
        case
            when with_distance.session_kind = 'race' then coalesce(fastest_lap_points.points, 0)
        end as fastest_lap_bonus_points,
        -- the one home of places gained: from the grid slot to the finishing position (null unless both known)
        grids.grid_position - with_distance.classified_position as positions_gained
    from with_distance
    left outer join sessions
        on with_distance.session_key = sessions.session_key
    left outer join drivers
        on
            with_distance.session_key = drivers.session_key
            and with_distance.driver_number = drivers.driver_number
    left outer join rounds
        on with_distance.meeting_key = rounds.meeting_key
    left outer join grids
        on
            with_distance.session_key = grids.session_key
            and with_distance.driver_number = grids.driver_number
    left outer join position_points
        on
            with_distance.session_key = position_points.session_key
            and with_distance.driver_number = position_points.driver_number
    left outer join fastest_lap_points
        on
            with_distance.session_key = fastest_lap_points.session_key
            and with_distance.driver_number = fastest_lap_points.driver_number

)

select * from scored
