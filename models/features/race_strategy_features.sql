{#-
    The strategy engine's outputs a strategy predictor would use, one row per (Grand Prix, driver, lap) of the
    race distance (strategy_race_laps: 1 .. the winner's laps): the car's compound and tyre age, the race's tyre
    model for that compound (pace offset, degradation, fuel effect: strategy_tyre_models, fitted on the whole
    race), the laps remaining, what a stop at the end of the lap costs under the lap's track status and under
    green (strategy_race_laps), the stops made so far, the race's best plan strategy (strategy_optimal_strategies)
    and, as the label, whether the car made a race stop at the end of the lap (fct_pit_stops). Which columns are
    known only after the race is in the YAML (KNOWN AFTER THE RACE / OBSERVED).
-#}
with

race_laps as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        circuit_key,
        circuit_short_name,
        lap_number,
        track_status,
        plan_pit_loss_s,
        pit_loss_s,
        pit_loss_source
    from {{ ref('strategy_race_laps') }}

),

laps as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        lap_number,
        stint_number,
        compound,
        tyre_age_laps,
        position_at_lap_end
    from {{ ref('fct_laps') }}

),

tyre_models as (

    select
        session_key,
        compound,
        pace_offset_s,
        degradation_s_per_lap,
        residual_sd_s
    from {{ ref('strategy_tyre_models') }}
    where session_kind = 'race'

),

fuel as (

    select
        session_key,
        fuel_effect_s_per_lap,
        fuel_effect_source
    from {{ ref('int_race_fuel_effects_estimated') }}

),

best_plans as (

    select
        session_key,
        stops,
        strategy
    from {{ ref('strategy_optimal_strategies') }}
    where planning_mode = 'plan' and is_best

),

pit_stops as (

    select
        session_key,
        driver_number,
        lap_number
    from {{ ref('fct_pit_stops') }}
    where session_kind = 'race' and stop_kind = 'race_stop'

),

undercut_chances as (

    select
        session_key,
        lap_number,
        driver_number,
        gap_s,
        undercut_chance
    from {{ ref('fct_undercut_chances') }}

),

race_distances as (

    select
        session_key,
        max(lap_number) as race_laps
    from race_laps
    group by session_key

),

stops_per_lap as (

    -- a car makes at most one race stop per lap; counted all the same so the join never fans out
    select
        session_key,
        driver_number,
        lap_number,
        count(*) as race_stops
    from pit_stops
    group by session_key, driver_number, lap_number

),

laps_joined as (

    select
        race_laps.session_key,
        race_laps.meeting_key,
        race_laps.season,
        race_laps.round_number,
        race_laps.circuit_key,
        race_laps.circuit_short_name,
        laps.driver_number,
        laps.driver_id,
        laps.driver_code,
        laps.team_name,
        race_laps.lap_number,
        race_distances.race_laps,
        laps.stint_number,
        laps.compound,
        laps.tyre_age_laps,
        laps.position_at_lap_end,
        race_laps.track_status,
        tyre_models.pace_offset_s as compound_pace_offset_s,
        tyre_models.degradation_s_per_lap as compound_degradation_s_per_lap,
        tyre_models.residual_sd_s as compound_residual_sd_s,
        fuel.fuel_effect_s_per_lap,
        fuel.fuel_effect_source,
        race_laps.pit_loss_s as pit_loss_now_s,
        race_laps.pit_loss_source as pit_loss_now_source,
        race_laps.plan_pit_loss_s as green_pit_loss_s,
        best_plans.stops as best_plan_stops,
        best_plans.strategy as best_plan_strategy,
        undercut_chances.gap_s as undercut_gap_s,
        undercut_chances.undercut_chance,
        race_distances.race_laps - race_laps.lap_number as laps_remaining,
        tyre_models.pace_offset_s
        + tyre_models.degradation_s_per_lap * laps.tyre_age_laps as modelled_tyre_cost_s,
        race_laps.plan_pit_loss_s - race_laps.pit_loss_s as pit_loss_discount_s,
        coalesce(stops_per_lap.race_stops, 0) as race_stops_at_lap_end
    from race_laps
    inner join laps
        on
            race_laps.session_key = laps.session_key
            and race_laps.lap_number = laps.lap_number
    inner join race_distances
        on race_laps.session_key = race_distances.session_key
    left outer join tyre_models
        on
            laps.session_key = tyre_models.session_key
            and laps.compound = tyre_models.compound
    left outer join fuel
        on race_laps.session_key = fuel.session_key
    left outer join best_plans
        on race_laps.session_key = best_plans.session_key
    left outer join stops_per_lap
        on
            laps.session_key = stops_per_lap.session_key
            and laps.driver_number = stops_per_lap.driver_number
            and laps.lap_number = stops_per_lap.lap_number
    left outer join undercut_chances
        on
            laps.session_key = undercut_chances.session_key
            and laps.driver_number = undercut_chances.driver_number
            and laps.lap_number = undercut_chances.lap_number

),

final as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        circuit_key,
        circuit_short_name,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        lap_number,
        race_laps,
        laps_remaining,
        stint_number,
        compound,
        tyre_age_laps,
        position_at_lap_end,
        track_status,
        compound_pace_offset_s,
        compound_degradation_s_per_lap,
        compound_residual_sd_s,
        modelled_tyre_cost_s,
        fuel_effect_s_per_lap,
        fuel_effect_source,
        pit_loss_now_s,
        pit_loss_now_source,
        green_pit_loss_s,
        pit_loss_discount_s,
        best_plan_stops,
        best_plan_strategy,
        undercut_gap_s,
        undercut_chance,
        -- the car's race stops on earlier laps (lap_number is unique per car: a total order)
        cast(coalesce(sum(race_stops_at_lap_end) over (
            partition by session_key, driver_number
            order by lap_number
            rows between unbounded preceding and 1 preceding
        ), 0) as {{ dbt.type_bigint() }}) as stops_before_lap,
        race_stops_at_lap_end > 0 as observed_pits_at_lap_end
    from laps_joined

)

select * from final
