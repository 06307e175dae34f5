{#-
    In a race, a driver's stints must cover his laps without overlap: each stint starts on the lap after the
    previous one ended. (In practice and qualifying OpenF1 counts the in/out lap in both stints, so only
    races are checked.) OpenF1 has known stint bugs (br-g/openf1 #89 overlapping laps, #173 lap_end <
    lap_start after SC pit passes): this warns on any, and errors only beyond 250 race stints (about 10% of a
    season's), which would mean a systematic problem rather than the known bugs.
-#}
{{ config(severity='error', warn_if='>0', error_if='>250') }}

with

stints as (

    select
        session_key,
        driver_number,
        stint_number,
        first_lap_number,
        last_lap_number
    from {{ ref('fct_stints') }}

),

races as (

    select session_key
    from {{ ref('dim_sessions') }}
    where session_type = 'Race'

),

ordered as (

    select
        stints.session_key,
        stints.driver_number,
        stints.stint_number,
        stints.first_lap_number,
        stints.last_lap_number,
        lag(stints.last_lap_number) over (
            partition by stints.session_key, stints.driver_number order by stints.stint_number
        ) as previous_last_lap_number
    from stints
    inner join races
        on stints.session_key = races.session_key

)

select *
from ordered
where
    first_lap_number != previous_last_lap_number + 1
    or last_lap_number < first_lap_number
