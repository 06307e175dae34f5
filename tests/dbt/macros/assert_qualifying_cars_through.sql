{#-
    Proves qualifying_cars_through: 10 cars reach Q3 in every season; 15 reach Q2 with the 20-car grids of
    2023-2025 and 16 with 2026's 22 cars. Returns the rows where the macro's answer differs from the expected one.
-#}
with

samples as (

    select *
    from (
        select
            2023 as season,
            15 as expected_q2_cars,
            10 as expected_q3_cars
        union all
        select
            2025 as season,
            15 as expected_q2_cars,
            10 as expected_q3_cars
        union all
        select
            2026 as season,
            16 as expected_q2_cars,
            10 as expected_q3_cars
    ) as sample_values

),

answers as (

    select
        season,
        expected_q2_cars,
        expected_q3_cars,
        {{ qualifying_cars_through(2, 'season') }} as q2_cars,
        {{ qualifying_cars_through(3, 'season') }} as q3_cars
    from samples

),

wrong as (

    select *
    from answers
    where q2_cars != expected_q2_cars or q3_cars != expected_q3_cars

)

select * from wrong
