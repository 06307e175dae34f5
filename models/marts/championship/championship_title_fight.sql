{#-
    The title fight after every round whose Grand Prix is classified: one row per (season, round, championship,
    contender). Points, wins and position are the standings' (driver_standings, constructor_standings: their
    countback); the points still available are championship_points_available's (the rounds after this one).

    can_still_win: the contender can still finish the season first, every other entry free to score nothing.
      - gap to the leader < points still available: yes (he can pass the leader on points);
      - gap > points still available: no;
      - gap = points still available, rounds to come: at best level on points with the leader, which takes every
        maximum, so every remaining Grand Prix win (and a team's second places too): the tie goes to countback
        (most Grand Prix wins first). Yes when his wins plus the remaining Grand Prix beat the leader's wins;
        no when fewer; when they would be level too, yes (second places and deeper are not modelled here: he is
        not yet ruled out); needs_countback marks these rows;
      - no rounds to come: only the standings' leader (position 1, the full countback) can: a contender level
        on points with him has already lost the countback.
-#}
with

driver_standings as (

    select
        season,
        round,
        driver_id,
        driver_code,
        full_name,
        latest_team_name,
        points,
        wins,
        position
    from {{ ref('driver_standings') }}

),

constructor_standings as (

    select
        season,
        round,
        team_name,
        points,
        wins,
        position
    from {{ ref('constructor_standings') }}

),

points_available as (

    select
        season,
        round,
        championship,
        remaining_rounds,
        points_still_available
    from {{ ref('championship_points_available') }}
    where is_race_classified

),

contenders as (

    select
        season,
        round,
        'drivers' as championship,
        driver_id as contender_id,
        driver_id,
        driver_code,
        full_name as contender_name,
        latest_team_name as team_name,
        points,
        wins,
        position
    from driver_standings
    union all
    select
        season,
        round,
        'constructors' as championship,
        team_name as contender_id,
        cast(null as {{ dbt.type_string() }}) as driver_id,
        cast(null as {{ dbt.type_string() }}) as driver_code,
        team_name as contender_name,
        team_name,
        points,
        wins,
        position
    from constructor_standings

),

with_leader as (

    select
        contenders.season,
        contenders.round,
        contenders.championship,
        contenders.contender_id,
        contenders.driver_id,
        contenders.driver_code,
        contenders.contender_name,
        contenders.team_name,
        contenders.points,
        contenders.wins,
        contenders.position,
        points_available.remaining_rounds,
        points_available.points_still_available,
        max(contenders.points) over (
            partition by contenders.season, contenders.round, contenders.championship
        ) as leader_points,
        -- the leader on countback (position 1; several only when level on everything, then with equal wins)
        max(case when contenders.position = 1 then contenders.wins end) over (
            partition by contenders.season, contenders.round, contenders.championship
        ) as leader_wins
    from contenders
    inner join points_available
        on
            contenders.season = points_available.season
            and contenders.round = points_available.round
            and contenders.championship = points_available.championship

),

judged as (

    select
        season,
        round,
        championship,
        contender_id,
        driver_id,
        driver_code,
        contender_name,
        team_name,
        points,
        wins,
        position,
        leader_points,
        remaining_rounds,
        points_still_available,
        leader_points - points as gap_to_leader_points,
        -- at best level on points with the leader: with rounds to come, by taking every maximum; after the last
        -- round, level now (the leader included, when anyone is level with him)
        leader_points - points = points_still_available
        and (
            remaining_rounds > 0
            or count(case when points = leader_points then 1 end) over (
                partition by season, round, championship
            ) > 1
        ) as needs_countback,
        case
            when leader_points - points < points_still_available then true
            when leader_points - points > points_still_available then false
            when remaining_rounds = 0 then position = 1
            -- level at best: every remaining Grand Prix won; deeper countback not modelled (not ruled out)
            else wins + remaining_rounds >= leader_wins
        end as can_still_win
    from with_leader

),

counted as (

    select
        season,
        round,
        championship,
        contender_id,
        driver_id,
        driver_code,
        contender_name,
        team_name,
        points,
        wins,
        position,
        leader_points,
        gap_to_leader_points,
        remaining_rounds,
        points_still_available,
        can_still_win,
        needs_countback,
        count(case when can_still_win then 1 end) over (
            partition by season, round, championship
        ) as contenders_able_to_win,
        round = max(round) over (partition by season) as is_latest_round
    from judged

),

final as (

    select
        season,
        round,
        championship,
        contender_id,
        driver_id,
        driver_code,
        contender_name,
        team_name,
        cast(points as {{ type_double() }}) as points,
        cast(wins as {{ dbt.type_int() }}) as wins,
        cast(position as {{ dbt.type_int() }}) as position,  -- noqa: RF04
        cast(leader_points as {{ type_double() }}) as leader_points,
        cast(gap_to_leader_points as {{ type_double() }}) as gap_to_leader_points,
        cast(remaining_rounds as {{ dbt.type_int() }}) as remaining_rounds,
        cast(points_still_available as {{ type_double() }}) as points_still_available,
        can_still_win,
        needs_countback,
        cast(contenders_able_to_win as {{ dbt.type_int() }}) as contenders_able_to_win,
        is_latest_round
    from counted

)

select * from final
