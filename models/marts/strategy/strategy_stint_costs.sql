{#-
    The strategy search's building block: one row per Grand Prix, planning mode, dry compound the tyre model
    prices in that race (strategy_tyre_models.is_modelled), and stint (first and last lap, any length, on new tyres):
    what the stint's tyres cost over its green laps, pace_offset_s + degradation_s_per_lap x tyre age summed
    (tyre age 0 on the first lap). Planning mode 'plan' does not know the race's neutralisations (every lap
    green); 'hindsight' does (int_race_laps_classified), and a neutralised lap costs the same on any tyres.
    green_laps lets a caller add the cost of used tyres: degradation x their age x green_laps.
-#}
with

laps as (

    select
        session_key,
        lap_number,
        track_status
    from {{ ref('int_race_laps_classified') }}

),

tyre_models as (

    select
        session_key,
        compound,
        pace_offset_s,
        degradation_s_per_lap
    from {{ ref('strategy_tyre_models') }}
    where
        session_kind = 'race'
        and is_modelled

),

modes as (

    select 'plan' as planning_mode
    union all
    select 'hindsight' as planning_mode

),

laps_by_mode as (

    select
        laps.session_key,
        modes.planning_mode,
        laps.lap_number,
        case when modes.planning_mode = 'plan' or laps.track_status = 'green' then 1 else 0 end as is_green
    from laps
    cross join modes

),

running_sums as (

    -- green laps and the sum of their lap numbers up to each lap, and up to the lap before it
    select
        session_key,
        planning_mode,
        lap_number,
        sum(is_green) over (
            partition by session_key, planning_mode order by lap_number rows between unbounded preceding and current row
        ) as green_laps_to,
        sum(is_green * lap_number) over (
            partition by session_key, planning_mode order by lap_number rows between unbounded preceding and current row
        ) as green_lap_numbers_to,
        sum(is_green) over (
            partition by session_key, planning_mode order by lap_number rows between unbounded preceding and current row
        ) - is_green as green_laps_before,
        sum(is_green * lap_number) over (
            partition by session_key, planning_mode order by lap_number rows between unbounded preceding and current row
        ) - is_green * lap_number as green_lap_numbers_before
    from laps_by_mode

),

stints as (

    select
        stint_starts.session_key,
        stint_starts.planning_mode,
        stint_starts.lap_number as first_lap_number,
        stint_ends.lap_number as last_lap_number,
        cast(stint_ends.green_laps_to - stint_starts.green_laps_before as {{ dbt.type_bigint() }}) as green_laps,
        -- sum over the stint's green laps of (lap number - first lap number): the tyre age on each
        (stint_ends.green_lap_numbers_to - stint_starts.green_lap_numbers_before)
        - stint_starts.lap_number * (stint_ends.green_laps_to - stint_starts.green_laps_before) as green_tyre_age_laps
    from running_sums as stint_starts
    inner join running_sums as stint_ends
        on
            stint_starts.session_key = stint_ends.session_key
            and stint_starts.planning_mode = stint_ends.planning_mode
            and stint_starts.lap_number <= stint_ends.lap_number

),

final as (

    select
        stints.session_key,
        stints.planning_mode,
        tyre_models.compound,
        stints.first_lap_number,
        stints.last_lap_number,
        stints.green_laps,
        tyre_models.pace_offset_s * stints.green_laps
        + tyre_models.degradation_s_per_lap * stints.green_tyre_age_laps as tyre_cost_s
    from stints
    inner join tyre_models
        on stints.session_key = tyre_models.session_key

)

select * from final
