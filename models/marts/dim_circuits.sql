{#- One row per circuit: its latest names and how many meetings the warehouse holds there. -#}
with

meetings as (

    select
        meeting_key,
        season,
        circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location_name,
        started_at
    from {{ ref('stg_openf1__meetings') }}
    where circuit_key is not null

),

latest as (

    select
        *,
        row_number() over (partition by circuit_key order by started_at desc, meeting_key desc) as recency_rank,
        count(*) over (partition by circuit_key) as meetings_held,
        min(season) over (partition by circuit_key) as first_season,
        max(season) over (partition by circuit_key) as last_season
    from meetings

),

final as (

    select
        circuit_key,
        circuit_short_name,
        country_code,
        country_name,
        location_name,
        meetings_held,
        first_season,
        last_season
    from latest
    where recency_rank = 1

)

select * from final
