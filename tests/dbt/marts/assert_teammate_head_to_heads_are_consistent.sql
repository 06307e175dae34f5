{#-
    Each pair seen from both sides agrees: the same number of races together, and the two drivers' "ahead"
    counts add up to at most that number (both can be unclassified). Failing rows are inconsistent pairs.
-#}
with

pairs as (

    select
        season,
        team_name,
        driver_id,
        teammate_driver_id,
        races_together,
        races_ahead,
        qualifyings_together,
        qualifyings_ahead
    from {{ ref('teammate_head_to_heads') }}

),

failures as (

    select
        pairs.season,
        pairs.team_name,
        pairs.driver_id,
        pairs.teammate_driver_id
    from pairs
    left outer join pairs as mirrored
        on
            pairs.season = mirrored.season
            and pairs.team_name = mirrored.team_name
            and pairs.driver_id = mirrored.teammate_driver_id
            and pairs.teammate_driver_id = mirrored.driver_id
    where
        mirrored.driver_id is null
        or pairs.races_together != mirrored.races_together
        or pairs.races_ahead + mirrored.races_ahead > pairs.races_together
        or pairs.qualifyings_ahead + mirrored.qualifyings_ahead > pairs.qualifyings_together

)

select * from failures
