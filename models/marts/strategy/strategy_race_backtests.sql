{#-
    The driven strategy against the model, one row per Grand Prix and classified driver. The model's race time
    for the strategy the driver drove (his stints, compounds, tyre ages and pit laps, each stop priced under the
    track status it really had, the race's real neutralised laps) is
        sum over green laps of (driver base - fuel effect x lap) + the race's standing-start time
        + sum over neutralised laps of the field's time for them
        + each stint's tyre cost (strategy_stint_costs, plus degradation x age for used tyres)
        + each stop's pit loss (int_race_pit_losses_resolved).
    Against his real race time (fct_session_results.duration_s, lead-lap finishers) it gives the backtest
    error (a lead-lap finisher with a plausible race time). The best strategies the model finds (strategy_optimal_strategies) knowing the neutralisations
    (hindsight) and not (plan) are priced for the same driver; time_left_on_table_s is the driven strategy's
    modelled time less the best one's in hindsight. is_backtested: a dry race without a red flag, a lead-lap
    finisher whose stints cover the race on modelled dry compounds.
-#}
with

sessions as (

    select
        session_key,
        meeting_key,
        season,
        round_number,
        circuit_key,
        circuit_short_name
    from {{ ref('dim_sessions') }}
    where session_kind = 'race'

),

results as (

    select
        session_key,
        driver_number,
        driver_id,
        driver_code,
        team_name,
        classified_position,
        laps_behind,
        duration_s
    from {{ ref('fct_session_results') }}
    where session_kind = 'race' and classified_position is not null

),

stints_reported as (

    select
        session_key,
        driver_number,
        stint_number,
        compound,
        first_lap_number,
        last_lap_number,
        coalesce(tyre_age_at_start_laps, 0) as tyre_age_at_start_laps,
        lag(last_lap_number) over (
            partition by session_key, driver_number
            order by stint_number
        ) as previous_last_lap_number
    from {{ ref('fct_stints') }}

),

stints as (

    -- OpenF1 sometimes counts the in-lap in both stints: the next stint starts on the lap after it
    select
        session_key,
        driver_number,
        stint_number,
        compound,
        last_lap_number,
        tyre_age_at_start_laps,
        case
            when previous_last_lap_number >= first_lap_number then previous_last_lap_number + 1
            else first_lap_number
        end as first_lap_number
    from stints_reported

),

stint_costs as (

    select
        session_key,
        compound,
        first_lap_number,
        last_lap_number,
        green_laps,
        tyre_cost_s
    from {{ ref('strategy_stint_costs') }}
    where planning_mode = 'hindsight'

),

tyre_models as (

    select
        session_key,
        compound,
        pace_offset_s,
        degradation_s_per_lap
    from {{ ref('strategy_tyre_models') }}
    where session_kind = 'race'

),

pit_stops as (

    select
        session_key,
        driver_number,
        lap_number,
        track_status_at_stop
    from {{ ref('fct_pit_stops') }}
    where session_kind = 'race' and stop_kind = 'race_stop'

),

pit_losses as (

    select
        session_key,
        track_status,
        pit_loss_s
    from {{ ref('int_race_pit_losses_resolved') }}

),

race_laps as (

    select
        session_key,
        lap_number,
        track_status,
        neutralised_lap_duration_s,
        is_wet_race,
        has_red_flag
    from {{ ref('strategy_race_laps') }}

),

driver_paces as (

    select
        session_key,
        driver_number,
        driver_base_s
    from {{ ref('int_race_driver_paces_fitted') }}

),

fuel as (

    select
        session_key,
        fuel_effect_s_per_lap
    from {{ ref('int_race_fuel_effects_estimated') }}

),

first_laps as (

    select
        session_key,
        driver_number,
        lap_duration_s
    from {{ ref('fct_laps') }}
    where lap_number = 1 and lap_duration_s is not null

),

optimal as (

    select
        session_key,
        planning_mode,
        strategy,
        strategy_time_s
    from {{ ref('strategy_optimal_strategies') }}
    where is_best

),

race_totals as (

    -- per race: its green laps (and the sum of their numbers) and the field's time over its neutralised laps
    select
        session_key,
        sum(case when track_status = 'green' then 1 else 0 end) as green_laps,
        sum(case when track_status = 'green' then lap_number else 0 end) as green_lap_numbers,
        count(*) as laps,
        max(lap_number) as race_laps,
        sum(lap_number) as lap_numbers,
        -- null when a neutralised lap has no time: the race cannot be modelled
        sum(case when track_status != 'green' then coalesce(neutralised_lap_duration_s, 0) else 0 end)
            as neutralised_time_s,
        sum(case when track_status != 'green' and neutralised_lap_duration_s is null then 1 else 0 end)
            as untimed_neutralised_laps,
        max(case when has_red_flag then 1 else 0 end) = 1 as has_red_flag,
        max(case when is_wet_race then 1 else 0 end) = 1 as is_wet_race,
        max(case when lap_number = 1 and track_status = 'green' then 1 else 0 end) = 1 as starts_green
    from race_laps
    group by session_key

),

race_distances as (

    select
        session_key,
        max(lap_number) as race_laps
    from race_laps
    group by session_key

),

stints_priced as (

    select
        stints.session_key,
        stints.driver_number,
        stints.stint_number,
        stints.compound,
        stints.first_lap_number,
        stints.last_lap_number,
        stints.tyre_age_at_start_laps,
        stint_costs.tyre_cost_s
        + tyre_models.degradation_s_per_lap * stints.tyre_age_at_start_laps * stint_costs.green_laps
            as tyre_cost_s,
        coalesce(substr(stints.compound, 1, 1), '?') || ':' || cast(stints.first_lap_number as {{ dbt.type_string() }})
        || '-' || cast(stints.last_lap_number as {{ dbt.type_string() }}) as stint_text
    from stints
    left outer join stint_costs
        on
            stints.session_key = stint_costs.session_key
            and stints.compound = stint_costs.compound
            and stints.first_lap_number = stint_costs.first_lap_number
            and stints.last_lap_number = stint_costs.last_lap_number
    left outer join tyre_models
        on
            stints.session_key = tyre_models.session_key
            and stints.compound = tyre_models.compound

),

stops_priced as (

    -- a stop at the end of every stint but the last, under the status its pit entry had (else the lap's)
    select
        stints_priced.session_key,
        stints_priced.driver_number,
        pit_losses.pit_loss_s
    from stints_priced
    inner join race_distances
        on stints_priced.session_key = race_distances.session_key
    left outer join pit_stops
        on
            stints_priced.session_key = pit_stops.session_key
            and stints_priced.driver_number = pit_stops.driver_number
            and stints_priced.last_lap_number = pit_stops.lap_number
    left outer join race_laps
        on
            stints_priced.session_key = race_laps.session_key
            and stints_priced.last_lap_number = race_laps.lap_number
    left outer join pit_losses
        on
            stints_priced.session_key = pit_losses.session_key
            and pit_losses.track_status = coalesce(pit_stops.track_status_at_stop, race_laps.track_status, 'green')
    where stints_priced.last_lap_number < race_distances.race_laps

),

driven as (

    select
        session_key,
        driver_number,
        count(*) as stints,
        count(tyre_cost_s) as stints_priced,
        count(compound) as stints_with_compound,
        sum(tyre_cost_s) as tyre_cost_s,
        min(first_lap_number) as first_lap_number,
        max(last_lap_number) as last_lap_number,
        sum(last_lap_number - first_lap_number + 1) as laps_covered,
        {{ dbt.listagg('stint_text', "','", 'order by stint_number') }} as driven_strategy
    from stints_priced
    group by session_key, driver_number

),

stop_totals as (

    select
        session_key,
        driver_number,
        count(*) as stops,
        count(pit_loss_s) as stops_priced,
        sum(pit_loss_s) as pit_loss_s
    from stops_priced
    group by session_key, driver_number

),

start_times as (

    -- the standing start: lap 1's time above the modelled green lap 1, averaged over the field
    select
        first_laps.session_key,
        avg(
            first_laps.lap_duration_s
            - {{ modelled_lap_time(
                'driver_paces.driver_base_s',
                'tyre_models.pace_offset_s',
                'tyre_models.degradation_s_per_lap',
                'stints.tyre_age_at_start_laps',
                'fuel.fuel_effect_s_per_lap',
                '1',
            ) }}
        ) as standing_start_s
    from first_laps
    inner join driver_paces
        on
            first_laps.session_key = driver_paces.session_key
            and first_laps.driver_number = driver_paces.driver_number
    inner join fuel
        on first_laps.session_key = fuel.session_key
    inner join stints
        on
            first_laps.session_key = stints.session_key
            and first_laps.driver_number = stints.driver_number
            and stints.first_lap_number = 1
    inner join tyre_models
        on
            stints.session_key = tyre_models.session_key
            and stints.compound = tyre_models.compound
    group by first_laps.session_key

),

modelled as (

    select
        results.session_key,
        results.driver_number,
        results.driver_id,
        results.driver_code,
        results.team_name,
        results.classified_position,
        results.laps_behind,
        results.duration_s as actual_race_time_s,
        driven.driven_strategy,
        race_totals.has_red_flag,
        race_totals.is_wet_race,
        coalesce(stop_totals.stops, 0) as stops,
        -- the strategy-independent part: pace and fuel over green laps, the start, the neutralised laps
        driver_paces.driver_base_s * race_totals.green_laps
        - fuel.fuel_effect_s_per_lap * race_totals.green_lap_numbers
        + case when race_totals.starts_green then coalesce(start_times.standing_start_s, 0) else 0 end
        + race_totals.neutralised_time_s as hindsight_base_time_s,
        driver_paces.driver_base_s * race_totals.laps
        - fuel.fuel_effect_s_per_lap * race_totals.lap_numbers
        + coalesce(start_times.standing_start_s, 0) as plan_base_time_s,
        driven.tyre_cost_s + coalesce(stop_totals.pit_loss_s, 0) as driven_strategy_time_s,
        case
            when race_totals.is_wet_race then 'wet race'
            when race_totals.has_red_flag then 'red flag'
            when race_totals.untimed_neutralised_laps > 0 then 'a neutralised lap has no time'
            when coalesce(results.laps_behind, 1) != 0 then 'not on the lead lap'
            -- OpenF1 sometimes puts a gap where the race time belongs: no lap is under 30 s
            when coalesce(results.duration_s, 0) <= 30 * race_totals.race_laps then 'no plausible race time'
            when driver_paces.driver_base_s is null then 'no pace fitted'
            when
                driven.first_lap_number != 1
                or driven.last_lap_number != race_totals.race_laps
                or driven.laps_covered != race_totals.race_laps
                or driven.stints is null
                then 'stints do not cover the race'
            when driven.stints_with_compound != driven.stints then 'a stint without a compound'
            when driven.stints_priced != driven.stints then 'a stint compound the model does not cover'
            when
                coalesce(stop_totals.stops_priced, 0) != coalesce(stop_totals.stops, 0)
                then 'a stop without a pit loss'
        end as not_backtested_reason
    from results
    inner join sessions
        on results.session_key = sessions.session_key
    inner join race_totals
        on results.session_key = race_totals.session_key
    inner join fuel
        on results.session_key = fuel.session_key
    left outer join driven
        on
            results.session_key = driven.session_key
            and results.driver_number = driven.driver_number
    left outer join stop_totals
        on
            results.session_key = stop_totals.session_key
            and results.driver_number = stop_totals.driver_number
    left outer join driver_paces
        on
            results.session_key = driver_paces.session_key
            and results.driver_number = driver_paces.driver_number
    left outer join start_times
        on results.session_key = start_times.session_key

),

modelled_flagged as (

    select
        *,
        not_backtested_reason is null as is_backtested
    from modelled

),

final as (

    select
        modelled.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.round_number,
        sessions.circuit_key,
        sessions.circuit_short_name,
        modelled.driver_number,
        modelled.driver_id,
        modelled.driver_code,
        modelled.team_name,
        modelled.classified_position,
        modelled.is_wet_race,
        modelled.has_red_flag,
        modelled.is_backtested,
        modelled.not_backtested_reason,
        modelled.driven_strategy,
        modelled.stops,
        modelled.actual_race_time_s,
        hindsight.strategy as best_hindsight_strategy,
        plan.strategy as best_plan_strategy,
        case when modelled.is_backtested then modelled.hindsight_base_time_s end as strategy_free_time_s,
        case when modelled.is_backtested then modelled.driven_strategy_time_s end as driven_strategy_time_s,
        case when modelled.is_backtested then modelled.hindsight_base_time_s + modelled.driven_strategy_time_s end
            as model_race_time_s,
        case
            when modelled.is_backtested
                then modelled.hindsight_base_time_s + modelled.driven_strategy_time_s - modelled.actual_race_time_s
        end as backtest_error_s,
        case
            when modelled.is_backtested
                then 100.0 * (
                    modelled.hindsight_base_time_s + modelled.driven_strategy_time_s - modelled.actual_race_time_s
                ) / modelled.actual_race_time_s
        end as backtest_error_pct,
        case when modelled.is_backtested then modelled.hindsight_base_time_s + hindsight.strategy_time_s end
            as best_hindsight_race_time_s,
        case when modelled.is_backtested then modelled.plan_base_time_s + plan.strategy_time_s end
            as best_plan_race_time_s,
        case when modelled.is_backtested then modelled.driven_strategy_time_s - hindsight.strategy_time_s end
            as time_left_on_table_s
    from modelled_flagged as modelled
    inner join sessions
        on modelled.session_key = sessions.session_key
    left outer join optimal as hindsight
        on
            modelled.session_key = hindsight.session_key
            and hindsight.planning_mode = 'hindsight'
    left outer join optimal as plan
        on
            modelled.session_key = plan.session_key
            and plan.planning_mode = 'plan'

)

select * from final
