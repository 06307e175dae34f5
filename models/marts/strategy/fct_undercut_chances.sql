{#-
    The modelled chance of an undercut, one row per (session_key, lap_number, driver_number) of a race: a car
    (the attacker) and the car directly ahead of it at the end of that lap (lap N, the target), when the gap
    between them is smaller than the circuit's green pit loss and lap N was raced under green flags.
    The question (#10's rule in marts.undercuts, asked one lap ahead): the attacker boxes at the end of lap N+1,
    the target stays out one more lap and boxes at the end of lap N+2; does the attacker come out ahead?
    Both cars pay the same green pit loss (which holds the out-lap's cold-tyre time), so it cancels, and the
    undercut is decided on lap N+2, the attacker's out-lap on new tyres against the target's in-lap on worn ones,
    from the tyre and fuel model (marts.strategy_tyre_models, int_race_driver_paces_fitted):
        lap time = driver_base_s + pace_offset_s[compound] + degradation_s_per_lap[compound] x tyre age
                   - fuel_effect_s_per_lap x lap number;
        modelled_gain_s = target's lap N+2 on its compound at tyre age (its age on lap N) + 2
                          - attacker's lap N+2 on the next compound at tyre age 0;
        margin_s = modelled_gain_s - gap_s;
        margin_spread_s = sqrt(residual_sd_s[target's compound]^2 + residual_sd_s[next compound]^2), the spread
                          of the difference of two modelled laps (residual_sd_s x sqrt(2) for one compound);
        undercut_chance = 1 / (1 + exp(-1.702 z)), z = margin_s / margin_spread_s: the logistic approximation
                          of the normal distribution function (within 0.01 of it everywhere).
    The next compound: the hardest dry compound the race's model has (pace offset and degradation) that the
    attacker has not run by lap N; when he has run them all, the hardest other than his current one.
    The gap: the attacker's fct_laps.gap_to_leader_s minus the target's on lap N. The pit loss: the circuit's
    green median in marts.pit_loss_by_track_status for the race's season, else its latest earlier season (a
    race without either has no rows; macros/race_pit_loss.sql, shared with board_pit_windows). Left out: laps
    under SC, VSC or red ('yellow' counts as green, as for stops), laps where either car is not on a dry
    compound, the attacker's in- and out-laps and the target's in-lap. A row whose model lacks a figure (a
    driver's base, a compound's fit) keeps a null chance.
    The observed rates are those of undercut_success_rates' bucket pair holding the row's gap and tyre-age
    difference: over all circuits and seasons, and for the race's circuit and season.
-#}
with

races as (

    select
        session_key,
        circuit_key,
        season
    from {{ ref('dim_sessions') }}
    where session_kind = 'race'

),

race_laps as (

    select
        session_key,
        driver_number,
        lap_number,
        position_at_lap_end,
        gap_to_leader_s,
        compound,
        tyre_age_laps,
        track_status,
        is_pit_in_lap,
        is_pit_out_lap
    from {{ ref('fct_laps') }}
    where
        position_at_lap_end is not null
        and gap_to_leader_s is not null

),

tyre_models as (

    select
        session_key,
        compound,
        pace_offset_s,
        degradation_s_per_lap,
        fuel_effect_s_per_lap,
        residual_sd_s
    from {{ ref('strategy_tyre_models') }}
    where
        pace_offset_s is not null
        and degradation_s_per_lap is not null

),

driver_paces as (

    select
        session_key,
        driver_number,
        driver_base_s
    from {{ ref('int_race_driver_paces_fitted') }}

),

green_pit_losses as (

    select
        circuit_key,
        season,
        median_pit_loss_s
    from {{ ref('pit_loss_by_track_status') }}
    where
        track_status = 'green'
        and median_pit_loss_s is not null

),

success_rates as (

    select
        circuit_scope,
        circuit_key,
        season,
        gap_bucket,
        gap_from_s,
        gap_to_s,
        tyre_age_difference_bucket,
        tyre_age_difference_from_laps,
        tyre_age_difference_to_laps,
        attempts,
        success_rate
    from {{ ref('undercut_success_rates') }}

),

laps as (

    select
        race_laps.session_key,
        race_laps.driver_number,
        race_laps.lap_number,
        race_laps.position_at_lap_end,
        race_laps.gap_to_leader_s,
        race_laps.compound,
        race_laps.tyre_age_laps,
        race_laps.track_status,
        coalesce(race_laps.is_pit_in_lap, false) as is_pit_in_lap,
        coalesce(race_laps.is_pit_out_lap, false) as is_pit_out_lap
    from race_laps
    inner join races
        on race_laps.session_key = races.session_key

),

compounds_run as (

    -- the first lap each driver ran each compound on
    select
        session_key,
        driver_number,
        compound,
        min(lap_number) as first_lap_number
    from laps
    where compound is not null
    group by session_key, driver_number, compound

),

race_pit_losses_ranked as (

    {{ race_pit_losses_ranked('races', 'green_pit_losses') }}

),

race_pit_losses as (

    select
        session_key,
        circuit_key,
        season,
        pit_loss_season,
        pit_loss_s
    from race_pit_losses_ranked
    where recency = 1

),

pairs_candidate as (

    -- a car and the car directly ahead at the end of the lap, inside the pit loss
    select
        attacker.session_key,
        race_pit_losses.circuit_key,
        race_pit_losses.season,
        attacker.lap_number,
        attacker.driver_number,
        attacker.position_at_lap_end,
        ahead.driver_number as ahead_driver_number,
        race_pit_losses.pit_loss_s,
        race_pit_losses.pit_loss_season,
        attacker.compound,
        attacker.tyre_age_laps,
        ahead.compound as ahead_compound,
        ahead.tyre_age_laps as ahead_tyre_age_laps,
        attacker.gap_to_leader_s - ahead.gap_to_leader_s as gap_s,
        ahead.tyre_age_laps - attacker.tyre_age_laps as tyre_age_difference_laps
    from laps as attacker
    inner join laps as ahead
        on
            attacker.session_key = ahead.session_key
            and attacker.lap_number = ahead.lap_number
            and attacker.position_at_lap_end - 1 = ahead.position_at_lap_end
    inner join race_pit_losses
        on attacker.session_key = race_pit_losses.session_key
    where
        attacker.track_status in ('green', 'yellow')
        and ahead.track_status in ('green', 'yellow')
        and attacker.compound in ('SOFT', 'MEDIUM', 'HARD')
        and ahead.compound in ('SOFT', 'MEDIUM', 'HARD')
        and not attacker.is_pit_in_lap
        and not attacker.is_pit_out_lap
        and not ahead.is_pit_in_lap
        and attacker.gap_to_leader_s - ahead.gap_to_leader_s < race_pit_losses.pit_loss_s

),

pairs_ranked as (

    -- two cars holding the same position (a glitch of the position data): the one nearest ahead on the road
    select
        *,
        row_number() over (
            partition by session_key, lap_number, driver_number
            order by case when gap_s >= 0 then 0 else 1 end, gap_s, ahead_driver_number
        ) as nearness
    from pairs_candidate

),

pairs as (

    select
        session_key,
        circuit_key,
        season,
        lap_number,
        driver_number,
        position_at_lap_end,
        ahead_driver_number,
        gap_s,
        pit_loss_s,
        pit_loss_season,
        compound,
        tyre_age_laps,
        ahead_compound,
        ahead_tyre_age_laps,
        tyre_age_difference_laps
    from pairs_ranked
    where nearness = 1

),

next_compounds_ranked as (

    select
        pairs.session_key,
        pairs.lap_number,
        pairs.driver_number,
        tyre_models.compound as next_compound,
        row_number() over (
            partition by pairs.session_key, pairs.lap_number, pairs.driver_number
            order by
                case when compounds_run.compound is null then 0 else 1 end,
                case when tyre_models.compound = pairs.compound then 1 else 0 end,
                case tyre_models.compound when 'HARD' then 1 when 'MEDIUM' then 2 else 3 end
        ) as preference
    from pairs
    inner join tyre_models
        on pairs.session_key = tyre_models.session_key
    left outer join compounds_run
        on
            pairs.session_key = compounds_run.session_key
            and pairs.driver_number = compounds_run.driver_number
            and tyre_models.compound = compounds_run.compound
            and pairs.lap_number >= compounds_run.first_lap_number

),

next_compounds as (

    select
        session_key,
        lap_number,
        driver_number,
        next_compound
    from next_compounds_ranked
    where preference = 1

),

laps_modelled as (

    -- lap N+2: the target's in-lap on its worn tyres, the attacker's out-lap on new ones
    select
        pairs.session_key,
        pairs.lap_number,
        pairs.driver_number,
        next_compounds.next_compound,
        pairs.ahead_tyre_age_laps + 2 as ahead_in_lap_tyre_age_laps,
        {{ modelled_lap_time(
            'target_pace.driver_base_s',
            'target_tyres.pace_offset_s',
            'target_tyres.degradation_s_per_lap',
            'pairs.ahead_tyre_age_laps + 2',
            'target_tyres.fuel_effect_s_per_lap',
            'pairs.lap_number + 2',
        ) }} as ahead_in_lap_modelled_s,
        {{ modelled_lap_time(
            'attacker_pace.driver_base_s',
            'new_tyres.pace_offset_s',
            'new_tyres.degradation_s_per_lap',
            '0',
            'new_tyres.fuel_effect_s_per_lap',
            'pairs.lap_number + 2',
        ) }} as out_lap_modelled_s,
        sqrt(
            coalesce(target_tyres.residual_sd_s, new_tyres.residual_sd_s)
            * coalesce(target_tyres.residual_sd_s, new_tyres.residual_sd_s)
            + coalesce(new_tyres.residual_sd_s, target_tyres.residual_sd_s)
            * coalesce(new_tyres.residual_sd_s, target_tyres.residual_sd_s)
        ) as margin_spread_s
    from pairs
    left outer join next_compounds
        on
            pairs.session_key = next_compounds.session_key
            and pairs.lap_number = next_compounds.lap_number
            and pairs.driver_number = next_compounds.driver_number
    left outer join tyre_models as target_tyres
        on
            pairs.session_key = target_tyres.session_key
            and pairs.ahead_compound = target_tyres.compound
    left outer join tyre_models as new_tyres
        on
            next_compounds.session_key = new_tyres.session_key
            and next_compounds.next_compound = new_tyres.compound
    left outer join driver_paces as target_pace
        on
            pairs.session_key = target_pace.session_key
            and pairs.ahead_driver_number = target_pace.driver_number
    left outer join driver_paces as attacker_pace
        on
            pairs.session_key = attacker_pace.session_key
            and pairs.driver_number = attacker_pace.driver_number

),

margins as (

    select
        pairs.session_key,
        pairs.lap_number,
        pairs.driver_number,
        laps_modelled.ahead_in_lap_modelled_s - laps_modelled.out_lap_modelled_s as modelled_gain_s,
        laps_modelled.ahead_in_lap_modelled_s - laps_modelled.out_lap_modelled_s - pairs.gap_s as margin_s,
        (laps_modelled.ahead_in_lap_modelled_s - laps_modelled.out_lap_modelled_s - pairs.gap_s)
        / nullif(laps_modelled.margin_spread_s, 0) as margin_z
    from pairs
    inner join laps_modelled
        on
            pairs.session_key = laps_modelled.session_key
            and pairs.lap_number = laps_modelled.lap_number
            and pairs.driver_number = laps_modelled.driver_number

),

chances as (

    -- margin_z held within +-20 so that exp() cannot overflow (the chance is 0 or 1 to 15 digits beyond)
    select
        session_key,
        lap_number,
        driver_number,
        1.0 / (
            1.0 + exp(
                -1.702 * case
                    when margin_z > 20 then 20
                    when margin_z < -20 then -20
                    else margin_z
                end
            )
        ) as undercut_chance
    from margins

),

observed_rates as (

    -- the bucket pair (over all circuits: every pair has a row) holding the gap and tyre-age difference
    select
        pairs.session_key,
        pairs.lap_number,
        pairs.driver_number,
        success_rates.gap_bucket,
        success_rates.tyre_age_difference_bucket,
        success_rates.attempts,
        success_rates.success_rate
    from pairs
    inner join success_rates
        on
            success_rates.circuit_scope = 'all'
            and success_rates.gap_bucket != 'unknown'
            and (success_rates.gap_from_s is null or pairs.gap_s >= success_rates.gap_from_s)
            and (success_rates.gap_to_s is null or pairs.gap_s < success_rates.gap_to_s)
            and (
                (
                    pairs.tyre_age_difference_laps is null
                    and success_rates.tyre_age_difference_bucket = 'unknown'
                )
                or (
                    pairs.tyre_age_difference_laps is not null
                    and success_rates.tyre_age_difference_bucket != 'unknown'
                    and (
                        success_rates.tyre_age_difference_from_laps is null
                        or pairs.tyre_age_difference_laps >= success_rates.tyre_age_difference_from_laps
                    )
                    and (
                        success_rates.tyre_age_difference_to_laps is null
                        or pairs.tyre_age_difference_laps < success_rates.tyre_age_difference_to_laps
                    )
                )
            )

),

final as (

    select
        pairs.session_key,
        pairs.circuit_key,
        pairs.season,
        pairs.lap_number,
        pairs.driver_number,
        pairs.position_at_lap_end,
        pairs.ahead_driver_number,
        pairs.gap_s,
        pairs.pit_loss_s,
        pairs.pit_loss_season,
        pairs.compound,
        pairs.tyre_age_laps,
        pairs.ahead_compound,
        pairs.ahead_tyre_age_laps,
        pairs.tyre_age_difference_laps,
        laps_modelled.next_compound,
        laps_modelled.ahead_in_lap_tyre_age_laps,
        laps_modelled.out_lap_modelled_s,
        laps_modelled.ahead_in_lap_modelled_s,
        margins.modelled_gain_s,
        margins.margin_s,
        laps_modelled.margin_spread_s,
        margins.margin_z,
        chances.undercut_chance,
        observed_rates.gap_bucket,
        observed_rates.tyre_age_difference_bucket,
        observed_rates.attempts as observed_attempts,
        observed_rates.success_rate as observed_success_rate,
        circuit_rates.attempts as circuit_observed_attempts,
        circuit_rates.success_rate as circuit_observed_success_rate
    from pairs
    inner join laps_modelled
        on
            pairs.session_key = laps_modelled.session_key
            and pairs.lap_number = laps_modelled.lap_number
            and pairs.driver_number = laps_modelled.driver_number
    inner join margins
        on
            pairs.session_key = margins.session_key
            and pairs.lap_number = margins.lap_number
            and pairs.driver_number = margins.driver_number
    inner join chances
        on
            pairs.session_key = chances.session_key
            and pairs.lap_number = chances.lap_number
            and pairs.driver_number = chances.driver_number
    inner join observed_rates
        on
            pairs.session_key = observed_rates.session_key
            and pairs.lap_number = observed_rates.lap_number
            and pairs.driver_number = observed_rates.driver_number
    left outer join success_rates as circuit_rates
        on
            circuit_rates.circuit_scope = 'circuit'
            and pairs.circuit_key = circuit_rates.circuit_key
            and pairs.season = circuit_rates.season
            and observed_rates.gap_bucket = circuit_rates.gap_bucket
            and observed_rates.tyre_age_difference_bucket = circuit_rates.tyre_age_difference_bucket

)

select * from final
