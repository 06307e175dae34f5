with

results as (

    select
        session_key,
        driver_number,
        position,
        q1_duration_s,
        q2_duration_s,
        q3_duration_s,
        is_dnf,
        is_dns,
        is_dsq
    from {{ ref('stg_openf1__session_results') }}

),

sessions as (

    select
        session_key,
        meeting_key,
        season,
        session_date,
        round_number,
        session_name,
        session_kind
    from {{ ref('dim_sessions') }}
    where session_kind in ('qualifying', 'sprint_qualifying')

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

starting_grids as (

    -- starting_grid's session_key is the qualifying session's own
    select
        session_key,
        driver_number,
        grid_position
    from {{ ref('stg_openf1__starting_grids') }}

),

final as (

    select
        results.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.session_date,
        sessions.round_number,
        sessions.session_name,
        sessions.session_kind,
        results.driver_number,
        drivers.driver_id,
        drivers.driver_code,
        drivers.team_name,
        results.position as qualifying_position,
        results.q1_duration_s,
        results.q2_duration_s,
        results.q3_duration_s,
        {{ dbt_least(['results.q1_duration_s', 'results.q2_duration_s', 'results.q3_duration_s']) }}
            as best_duration_s,
        -- by classified position against the knock-out sizes (one definition: macros/qualifying_cars_through.sql);
        -- a car without a position: the deepest phase he set a time in
        case
            when results.position <= {{ qualifying_cars_through(3, 'sessions.season') }} then null
            when results.position <= {{ qualifying_cars_through(2, 'sessions.season') }} then 'Q2'
            when results.position is not null then 'Q1'
            when results.q3_duration_s is not null then null
            when results.q2_duration_s is not null then 'Q2'
            else 'Q1'
        end as eliminated_in,
        starting_grids.grid_position,
        results.is_dns,
        results.is_dsq
    from results
    inner join sessions
        on results.session_key = sessions.session_key
    left outer join drivers
        on
            results.session_key = drivers.session_key
            and results.driver_number = drivers.driver_number
    left outer join starting_grids
        on
            results.session_key = starting_grids.session_key
            and results.driver_number = starting_grids.driver_number

)

select * from final
