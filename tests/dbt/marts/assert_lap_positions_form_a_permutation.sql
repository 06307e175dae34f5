{#-
    In a race, the positions at the end of a lap must be 1..n over the n drivers who completed it: no gaps,
    no duplicates. Warn only: OpenF1's position feed is event-based and can lag or skip drivers who retire.
-#}
{{ config(severity='warn') }}

with

laps as (

    select
        session_key,
        lap_number,
        position_at_lap_end
    from {{ ref('fct_laps') }}
    where
        session_type = 'Race'
        and position_at_lap_end is not null

),

per_lap as (

    select
        session_key,
        lap_number,
        count(*) as drivers,
        count(distinct position_at_lap_end) as distinct_positions,
        min(position_at_lap_end) as first_position,
        max(position_at_lap_end) as last_position
    from laps
    group by session_key, lap_number

)

select *
from per_lap
where
    distinct_positions != drivers
    or first_position != 1
    or last_position != drivers
