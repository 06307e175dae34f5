{#-
    dlt's record of loads, one row per load_id: when it finished (inserted_at) and whether every table of it
    was loaded (status 0). Read by the models that date what the warehouse learnt and when (a result first seen
    in a load, a session still inside the amendment window at the newest load).
-#}
with

source as (

    select
        load_id,
        status,
        inserted_at,
        schema_name
    from {{ source('openf1', '_dlt_loads') }}

),

ranked as (

    select
        *,
        -- one row per load; a load recorded twice keeps its finished, earliest record (a total order)
        row_number() over (
            partition by load_id
            order by status asc, inserted_at asc, schema_name asc
        ) as load_rank
    from source

),

renamed as (

    select
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        {{ utc_timestamp('inserted_at') }} as loaded_at,
        coalesce(status = 0, false) as is_complete
    from ranked
    where load_rank = 1

)

select * from renamed
