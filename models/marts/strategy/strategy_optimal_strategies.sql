{#-
    The best strategy the model finds for each dry Grand Prix without a red flag (strategy_race_laps), planning
    mode and number of stops (1 to 3): one row
    each, is_best on the best of the three. The search covers every pit lap: stints of at least
    var strategy_min_stint_laps laps on new tyres of the dry compounds the tyre model covers in that race, at
    least two different dry compounds (the rule of a dry race). A strategy's time is what it decides: its stints'
    tyre cost (strategy_stint_costs) plus each stop's pit loss under the track status of its in-lap
    (strategy_race_laps; always green in 'plan' mode, which does not know the race's neutralisations;
    the real status in 'hindsight' mode). The driver's own pace and the fuel burn add the same to every strategy
    (strategy_race_backtests adds them). Searched as a dynamic programme: after each stop, only the fastest way to
    reach each (compounds used, lap) is kept. Ties go to the first strategy in string order; times are compared
    to the microsecond, since the same stints in another order cost the same but a float sum's last bits depend
    on its order (and on the parallel sums upstream), which would make the pick differ between two builds.
-#}
{%- set max_stops = 3 -%}
with

stints as (

    select
        session_key,
        planning_mode,
        compound,
        first_lap_number,
        last_lap_number,
        tyre_cost_s,
        case compound when 'SOFT' then 1 when 'MEDIUM' then 2 else 4 end as compound_bit,
        substr(compound, 1, 1) || ':' || cast(first_lap_number as {{ dbt.type_string() }})
        || '-' || cast(last_lap_number as {{ dbt.type_string() }}) as stint_text
    from {{ ref('strategy_stint_costs') }}
    where last_lap_number - first_lap_number + 1 >= {{ var('strategy_min_stint_laps') }}

),

laps as (

    select
        session_key,
        lap_number,
        plan_pit_loss_s,
        pit_loss_s
    from {{ ref('strategy_race_laps') }}
    -- dry races without a red flag: the two-compound rule and a plan hold there
    where not is_wet_race and not has_red_flag

),

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

race_distances as (

    select
        session_key,
        max(lap_number) as race_laps
    from laps
    group by session_key

),

modes as (

    select 'plan' as planning_mode
    union all
    select 'hindsight' as planning_mode

),

stop_costs as (

    -- what a stop at the end of each lap costs in each planning mode
    select
        laps.session_key,
        modes.planning_mode,
        laps.lap_number,
        case when modes.planning_mode = 'plan' then laps.plan_pit_loss_s else laps.pit_loss_s end as pit_loss_s
    from laps
    cross join modes

),

stage_0 as (

    select
        session_key,
        planning_mode,
        compound_bit as compounds_used,
        last_lap_number,
        tyre_cost_s as strategy_time_s,
        stint_text as strategy
    from stints
    where first_lap_number = 1

),
{% for stops in range(1, max_stops + 1) %}
stage_{{ stops }}_candidates as (

    select
        previous.session_key,
        previous.planning_mode,
        stints.last_lap_number,
        previous.compounds_used | stints.compound_bit as compounds_used,
        previous.strategy_time_s + stop_costs.pit_loss_s + stints.tyre_cost_s as strategy_time_s,
        previous.strategy || ',' || stints.stint_text as strategy
    from stage_{{ stops - 1 }} as previous
    inner join stop_costs
        on
            previous.session_key = stop_costs.session_key
            and previous.planning_mode = stop_costs.planning_mode
            and previous.last_lap_number = stop_costs.lap_number
            and stop_costs.pit_loss_s is not null
    inner join stints
        on
            previous.session_key = stints.session_key
            and previous.planning_mode = stints.planning_mode
            and previous.last_lap_number + 1 = stints.first_lap_number

),

stage_{{ stops }}_ranked as (

    select
        *,
        row_number() over (
            partition by session_key, planning_mode, compounds_used, last_lap_number
            order by round(strategy_time_s, 6), strategy
        ) as time_rank
    from stage_{{ stops }}_candidates

),

stage_{{ stops }} as (

    select
        session_key,
        planning_mode,
        compounds_used,
        last_lap_number,
        strategy_time_s,
        strategy
    from stage_{{ stops }}_ranked
    where time_rank = 1

),
{% endfor %}
finished as (
    {% for stops in range(1, max_stops + 1) %}
    select
        stage_{{ stops }}.session_key,
        stage_{{ stops }}.planning_mode,
        {{ stops }} as stops,
        stage_{{ stops }}.strategy_time_s,
        stage_{{ stops }}.strategy
    from stage_{{ stops }}
    inner join race_distances
        on
            stage_{{ stops }}.session_key = race_distances.session_key
            and stage_{{ stops }}.last_lap_number = race_distances.race_laps
    -- two dry compounds at least: not a single bit
    where stage_{{ stops }}.compounds_used not in (1, 2, 4)
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

best_by_stops as (

    select
        *,
        row_number() over (
            partition by session_key, planning_mode, stops
            order by round(strategy_time_s, 6), strategy
        ) as stops_rank
    from finished

),

ranked as (

    select
        session_key,
        planning_mode,
        stops,
        strategy,
        strategy_time_s,
        strategy_time_s - min(strategy_time_s) over (partition by session_key, planning_mode) as time_vs_best_s,
        row_number() over (
            partition by session_key, planning_mode
            order by round(strategy_time_s, 6), stops
        ) as overall_rank
    from best_by_stops
    where stops_rank = 1

),

final as (

    select
        ranked.session_key,
        sessions.meeting_key,
        sessions.season,
        sessions.round_number,
        sessions.circuit_key,
        sessions.circuit_short_name,
        ranked.planning_mode,
        ranked.stops,
        ranked.strategy,
        ranked.strategy_time_s,
        ranked.time_vs_best_s,
        ranked.overall_rank = 1 as is_best
    from ranked
    inner join sessions
        on ranked.session_key = sessions.session_key

)

select * from final
