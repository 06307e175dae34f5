{#-
    Teammates compared where they met: one row per (season, team, driver, teammate) for every pair who drove
    for the same team in the same Grand Prix. A driver is ahead when classified higher, or classified while
    the teammate was not; qualifying compares Grand Prix qualifying positions the same way.
-#}
with

race_results as (

    select
        season,
        session_key,
        team_name,
        driver_id,
        driver_code,
        classified_position,
        points
    from {{ ref('fct_session_results') }}
    where session_kind = 'race'

),

qualifying_results as (

    select
        season,
        meeting_key,
        team_name,
        driver_id,
        qualifying_position
    from {{ ref('fct_qualifying') }}
    where session_kind = 'qualifying'

),

race_pairs as (

    select
        race_results.season,
        race_results.team_name,
        race_results.driver_id,
        race_results.driver_code,
        teammates.driver_id as teammate_driver_id,
        teammates.driver_code as teammate_driver_code,
        count(*) as races_together,
        count(
            case
                when {{ is_ahead_of_teammate('race_results.classified_position', 'teammates.classified_position') }}
                    then 1
            end
        ) as races_ahead,
        sum(coalesce(race_results.points, 0)) as points,
        sum(coalesce(teammates.points, 0)) as teammate_points
    from race_results
    inner join race_results as teammates
        on
            race_results.session_key = teammates.session_key
            and race_results.team_name = teammates.team_name
            and race_results.driver_id != teammates.driver_id
    group by
        race_results.season,
        race_results.team_name,
        race_results.driver_id,
        race_results.driver_code,
        teammates.driver_id,
        teammates.driver_code

),

qualifying_pairs as (

    select
        qualifying_results.season,
        qualifying_results.team_name,
        qualifying_results.driver_id,
        teammates.driver_id as teammate_driver_id,
        count(*) as qualifyings_together,
        count(
            case
                when {{ is_ahead_of_teammate(
                    'qualifying_results.qualifying_position', 'teammates.qualifying_position'
                ) }}
                    then 1
            end
        ) as qualifyings_ahead
    from qualifying_results
    inner join qualifying_results as teammates
        on
            qualifying_results.meeting_key = teammates.meeting_key
            and qualifying_results.team_name = teammates.team_name
            and qualifying_results.driver_id != teammates.driver_id
    group by
        qualifying_results.season,
        qualifying_results.team_name,
        qualifying_results.driver_id,
        teammates.driver_id

),

final as (

    select
        race_pairs.season,
        race_pairs.team_name,
        race_pairs.driver_id,
        race_pairs.driver_code,
        race_pairs.teammate_driver_id,
        race_pairs.teammate_driver_code,
        race_pairs.races_together,
        race_pairs.races_ahead,
        race_pairs.points,
        race_pairs.teammate_points,
        coalesce(qualifying_pairs.qualifyings_together, 0) as qualifyings_together,
        coalesce(qualifying_pairs.qualifyings_ahead, 0) as qualifyings_ahead
    from race_pairs
    left outer join qualifying_pairs
        on
            race_pairs.season = qualifying_pairs.season
            and race_pairs.team_name = qualifying_pairs.team_name
            and race_pairs.driver_id = qualifying_pairs.driver_id
            and race_pairs.teammate_driver_id = qualifying_pairs.teammate_driver_id

)

select * from final
