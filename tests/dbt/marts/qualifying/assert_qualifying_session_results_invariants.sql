{#-
    qualifying_session_results' relations hold on every row: the gap to pole is never negative and the pole
    time's holder has 0; the ideal lap is never slower than the best lap (nothing left on the table below 0); a
    session-best sector is his own best; the teammate gap is the mirror of the teammate's; the grid change is
    the grid slot minus the qualifying position, and pole on the grid is grid slot 1. Returns failing rows.
-#}
with

results as (

    select
        session_key,
        driver_number,
        qualifying_position,
        best_duration_s,
        pole_duration_s,
        gap_to_pole_s,
        best_lap_duration_s,
        ideal_lap_duration_s,
        time_left_on_table_s,
        teammate_driver_number,
        teammate_gap_s,
        grid_position,
        starts_from_pole,
        grid_change
    from {{ ref('qualifying_session_results') }}

),

session_gaps as (

    select
        session_key,
        min(gap_to_pole_s) as smallest_gap_s
    from results
    group by session_key

),

failures as (

    select
        results.session_key,
        results.driver_number,
        case
            when results.gap_to_pole_s < 0 then 'negative gap to pole'
            when results.best_duration_s = results.pole_duration_s and results.gap_to_pole_s != 0
                then 'pole time holder has a gap'
            when session_gaps.smallest_gap_s != 0 then 'nobody has the pole time'
            when results.ideal_lap_duration_s > results.best_lap_duration_s then 'ideal lap slower than best lap'
            when results.time_left_on_table_s < 0 then 'negative time left on the table'
            when results.teammate_gap_s != -teammates.teammate_gap_s then 'teammate gap not mirrored'
            when results.grid_change != results.grid_position - results.qualifying_position
                then 'grid change is not grid minus qualifying position'
            when results.starts_from_pole != (results.grid_position = 1) then 'starts_from_pole is not grid slot 1'
        end as failure
    from results
    inner join session_gaps
        on results.session_key = session_gaps.session_key
    left outer join results as teammates
        on
            results.session_key = teammates.session_key
            and results.teammate_driver_number = teammates.driver_number
            and results.driver_number = teammates.teammate_driver_number

)

select * from failures
where failure is not null
