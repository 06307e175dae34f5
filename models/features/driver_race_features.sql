{#-
    One row per (Grand Prix race, driver entered in that weekend's qualifying): what was knowable before the
    race started, for predicting its result. Every feature comes from sessions that started before the race
    (its qualifying and practice, earlier races); the race's own result sits only in the target_* columns.
    The row set is qualifying's entry list, so a warehouse cut off before the race gives the same rows.
-#}
{%- set long_run_min_laps = var('long_run_min_laps') -%}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        session_kind,
        circuit_key,
        started_at,
        is_cancelled
    from {{ ref('dim_sessions') }}

),

qualifying as (

    select
        session_key,
        driver_number,
        driver_id,
        team_name,
        qualifying_position,
        best_duration_s,
        grid_position,
        gap_to_pole_s,
        gap_to_pole_pct
    from {{ ref('qualifying_session_results') }}
    where session_kind = 'qualifying'

),

meetings as (

    select
        meeting_key,
        qualifying_session_key
    from {{ ref('dim_meetings') }}

),

results as (

    select
        session_key,
        driver_number,
        driver_id,
        session_kind,
        classified_position,
        grid_position,
        points,
        is_retired,
        positions_gained
    from {{ ref('fct_session_results') }}
    where session_kind in ('race', 'sprint')

),

practice_stints as (

    select
        session_key,
        driver_id,
        representative_laps,
        mean_lap_duration_s,
        best_lap_duration_s
    from {{ ref('stint_features') }}
    where session_kind = 'practice'

),

races as (

    select
        session_key as race_session_key,
        meeting_key,
        season,
        round_number,
        circuit_key,
        started_at as race_started_at
    from sessions
    where
        session_kind = 'race'
        and not coalesce(is_cancelled, false)

),

entrants as (

    select
        races.race_session_key,
        races.meeting_key,
        races.season,
        races.round_number,
        races.circuit_key,
        races.race_started_at,
        qualifying.session_key as qualifying_session_key,
        qualifying.driver_number,
        qualifying.driver_id,
        qualifying.team_name,
        qualifying.qualifying_position,
        qualifying.grid_position,
        qualifying.best_duration_s,
        qualifying.gap_to_pole_s as qualifying_gap_to_pole_s,
        qualifying.gap_to_pole_pct as qualifying_gap_to_pole_pct
    from races
    inner join meetings
        on races.meeting_key = meetings.meeting_key
    inner join sessions as qualifying_sessions
        on
            meetings.qualifying_session_key = qualifying_sessions.session_key
            and races.race_started_at > qualifying_sessions.started_at
    inner join qualifying
        on qualifying_sessions.session_key = qualifying.session_key

),

teammates as (

    select
        entrants.race_session_key,
        entrants.driver_number,
        avg(teammate.best_duration_s) as teammate_best_duration_s,
        avg({{ dbt.safe_cast('teammate.grid_position', type_double()) }}) as teammate_grid_position
    from entrants
    inner join entrants as teammate
        on
            entrants.race_session_key = teammate.race_session_key
            and entrants.team_name = teammate.team_name
            and entrants.driver_number != teammate.driver_number
    group by entrants.race_session_key, entrants.driver_number

),

practice_long_runs as (

    select
        session_key,
        driver_id,
        -- the driver's best long run: the lowest mean over a stint of enough representative laps
        min(case when representative_laps >= {{ long_run_min_laps }} then mean_lap_duration_s end)
            as long_run_mean_duration_s,
        min(best_lap_duration_s) as best_lap_duration_s
    from practice_stints
    group by session_key, driver_id

),

practice_gaps as (

    select
        session_key,
        driver_id,
        long_run_mean_duration_s
        - min(long_run_mean_duration_s) over (partition by session_key) as long_run_gap_s,
        best_lap_duration_s - min(best_lap_duration_s) over (partition by session_key) as best_lap_gap_s
    from practice_long_runs

),

weekend_practice as (

    select
        entrants.race_session_key,
        entrants.driver_number,
        avg(practice_gaps.long_run_gap_s) as practice_long_run_gap_s,
        avg(practice_gaps.best_lap_gap_s) as practice_best_lap_gap_s,
        count(practice_gaps.long_run_gap_s) as practice_long_runs
    from entrants
    inner join sessions as practice_sessions
        on
            entrants.meeting_key = practice_sessions.meeting_key
            and practice_sessions.session_kind = 'practice'
            and entrants.race_started_at > practice_sessions.started_at
    inner join practice_gaps
        on
            practice_sessions.session_key = practice_gaps.session_key
            and entrants.driver_id = practice_gaps.driver_id
    group by entrants.race_session_key, entrants.driver_number

),

race_history as (

    select
        results.session_key,
        results.driver_id,
        sessions.season,
        sessions.circuit_key,
        sessions.started_at,
        results.session_kind,
        results.classified_position,
        results.points,
        results.positions_gained,
        case when coalesce(results.is_retired, false) then 1.0 else 0.0 end as dnf
    from results
    inner join sessions
        on results.session_key = sessions.session_key

),

earlier_races as (

    select
        entrants.race_session_key,
        entrants.driver_number,
        entrants.season as entrant_season,
        entrants.circuit_key as entrant_circuit_key,
        race_history.season,
        race_history.circuit_key,
        race_history.classified_position,
        race_history.points,
        race_history.positions_gained,
        race_history.dnf,
        row_number() over (
            partition by entrants.race_session_key, entrants.driver_number
            order by race_history.started_at desc, race_history.session_key desc
        ) as races_ago
    from entrants
    inner join race_history
        on
            entrants.driver_id = race_history.driver_id
            and entrants.race_started_at > race_history.started_at
            and race_history.session_kind = 'race'

),

form as (

    select
        race_session_key,
        driver_number,
        count(*) as previous_races,
        avg(case when races_ago <= 3 then classified_position end) as last_3_mean_finish_position,
        avg(case when races_ago <= 3 then points end) as last_3_mean_points,
        avg(case when races_ago <= 3 then dnf end) as last_3_dnf_rate,
        avg(case when races_ago <= 3 then positions_gained end) as last_3_mean_positions_gained,
        avg(case when races_ago <= 5 then classified_position end) as last_5_mean_finish_position,
        avg(case when races_ago <= 5 then points end) as last_5_mean_points,
        avg(case when races_ago <= 5 then dnf end) as last_5_dnf_rate,
        avg(case when races_ago <= 5 then positions_gained end) as last_5_mean_positions_gained,
        count(case when circuit_key = entrant_circuit_key then 1 end) as circuit_previous_races,
        avg(case when circuit_key = entrant_circuit_key then classified_position end)
            as circuit_mean_finish_position,
        max(case when circuit_key = entrant_circuit_key then points end) as circuit_best_points
    from earlier_races
    group by race_session_key, driver_number

),

season_points as (

    -- championship points (Grands Prix and sprints, this weekend's sprint included) scored before the race
    select
        entrants.race_session_key,
        entrants.driver_number,
        sum(race_history.points) as season_points_before_race
    from entrants
    inner join race_history
        on
            entrants.driver_id = race_history.driver_id
            and entrants.season = race_history.season
            and entrants.race_started_at > race_history.started_at
    group by entrants.race_session_key, entrants.driver_number

),

targets as (

    select
        session_key,
        driver_number,
        classified_position,
        points,
        is_retired
    from results
    where session_kind = 'race'

),

final as (

    select
        entrants.race_session_key,
        entrants.meeting_key,
        entrants.season,
        entrants.round_number,
        entrants.circuit_key,
        entrants.race_started_at,
        {{ dbt.cast('entrants.race_started_at', 'date') }} as race_date,
        entrants.driver_number,
        entrants.driver_id,
        entrants.team_name,
        entrants.qualifying_session_key,
        entrants.grid_position,
        entrants.qualifying_position,
        entrants.best_duration_s as qualifying_best_duration_s,
        entrants.qualifying_gap_to_pole_s,
        entrants.qualifying_gap_to_pole_pct,
        entrants.best_duration_s - teammates.teammate_best_duration_s as teammate_qualifying_gap_s,
        entrants.grid_position - teammates.teammate_grid_position as teammate_grid_delta,
        weekend_practice.practice_long_run_gap_s,
        weekend_practice.practice_best_lap_gap_s,
        form.last_3_mean_finish_position,
        form.last_3_mean_points,
        form.last_3_dnf_rate,
        form.last_3_mean_positions_gained,
        form.last_5_mean_finish_position,
        form.last_5_mean_points,
        form.last_5_dnf_rate,
        form.last_5_mean_positions_gained,
        form.circuit_mean_finish_position,
        form.circuit_best_points,
        targets.classified_position as target_finish_position,
        targets.points as target_points,
        coalesce(weekend_practice.practice_long_runs, 0) as practice_long_runs,
        coalesce(form.previous_races, 0) as previous_races,
        coalesce(form.circuit_previous_races, 0) as circuit_previous_races,
        coalesce(season_points.season_points_before_race, 0) as season_points_before_race,
        case when targets.driver_number is not null then coalesce(targets.classified_position <= 3, false) end
            as target_is_podium,
        case when targets.driver_number is not null then coalesce(targets.is_retired, false) end
            as target_is_dnf
    from entrants
    left outer join teammates
        on
            entrants.race_session_key = teammates.race_session_key
            and entrants.driver_number = teammates.driver_number
    left outer join weekend_practice
        on
            entrants.race_session_key = weekend_practice.race_session_key
            and entrants.driver_number = weekend_practice.driver_number
    left outer join form
        on
            entrants.race_session_key = form.race_session_key
            and entrants.driver_number = form.driver_number
    left outer join season_points
        on
            entrants.race_session_key = season_points.race_session_key
            and entrants.driver_number = season_points.driver_number
    left outer join targets
        on
            entrants.race_session_key = targets.session_key
            and entrants.driver_number = targets.driver_number

)

select * from final
