{#-
    In every race lap with a known gap, the first car to complete the lap is 0 s behind and nobody is
    ahead of it: the minimum gap per (session, lap) is exactly 0. Failing rows are the laps where not.
-#}
with

race_laps as (

    select
        session_key,
        lap_number,
        gap_to_leader_s
    from {{ ref('fct_laps') }}
    where gap_to_leader_s is not null

),

laps_summary as (

    select
        session_key,
        lap_number,
        min(gap_to_leader_s) as smallest_gap_s
    from race_laps
    group by session_key, lap_number

),

failures as (

    select
        session_key,
        lap_number,
        smallest_gap_s
    from laps_summary
    where smallest_gap_s != 0

)

select * from failures
