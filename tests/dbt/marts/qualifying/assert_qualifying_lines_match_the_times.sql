{{ config(severity='warn') }}
{#-
    The knock-out lines (regulations' sizes, qualifying_sessions) agree with OpenF1's times: a car knocked out in
    Q1 has no Q2 time and one knocked out in Q2 no Q3 time, and the counts of knocked-out cars match the
    lines where the whole field is classified. Warns (OpenF1's classification has gaps: Austria 2024 has two
    cars without a position but with Q2 times). Returns the sessions or cars that disagree.
-#}
with

results as (

    select
        session_key,
        driver_number,
        eliminated_in,
        q2_duration_s,
        q3_duration_s
    from {{ ref('qualifying_session_results') }}

),

sessions as (

    select
        session_key,
        entrant_count,
        classified_count,
        q2_car_count,
        q3_car_count,
        eliminated_in_q1_count,
        eliminated_in_q2_count
    from {{ ref('qualifying_sessions') }}

),

car_failures as (

    select
        session_key,
        driver_number,
        'a time in a phase after his knock-out' as failure
    from results
    where
        (eliminated_in = 'Q1' and (q2_duration_s is not null or q3_duration_s is not null))
        or (eliminated_in = 'Q2' and q3_duration_s is not null)

),

session_failures as (

    select
        session_key,
        cast(null as {{ dbt.type_int() }}) as driver_number,
        'knocked-out counts do not match the lines' as failure
    from sessions
    where
        entrant_count = classified_count
        and entrant_count > q2_car_count
        and (
            eliminated_in_q1_count != entrant_count - q2_car_count
            or eliminated_in_q2_count != q2_car_count - q3_car_count
        )

),

failures as (

    select * from car_failures
    union all
    select * from session_failures

)

select * from failures
