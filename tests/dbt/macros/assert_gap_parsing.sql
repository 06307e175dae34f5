{#-
    Proves the gap macros on OpenF1's real shapes: seconds, '+1 LAP', '+3 LAPS', JSON null, a quoted string,
    and a qualifying array element. Returns the rows where a parsed value differs from the expected one.
-#}
with

samples as (

    select *
    from (
        select
            '84.542' as raw_value,
            84.542 as expected_seconds,
            null as expected_laps,
            null as expected_second_element
        union all
        select
            '+1 LAP' as raw_value,
            null as expected_seconds,
            1 as expected_laps,
            null as expected_second_element
        union all
        select
            '+3 LAPS' as raw_value,
            null as expected_seconds,
            3 as expected_laps,
            null as expected_second_element
        union all
        select
            '"+2 LAPS"' as raw_value,
            null as expected_seconds,
            2 as expected_laps,
            null as expected_second_element
        union all
        select
            'null' as raw_value,
            null as expected_seconds,
            null as expected_laps,
            null as expected_second_element
        union all
        select
            '[90.031, 89.374, null]' as raw_value,
            null as expected_seconds,
            null as expected_laps,
            89.374 as expected_second_element
    ) as sample_values

),

parsed as (

    select
        raw_value,
        expected_seconds,
        expected_laps,
        expected_second_element,
        case when raw_value like '[%' then null else {{ gap_seconds('raw_value') }} end as parsed_seconds,
        {{ gap_laps('raw_value') }} as parsed_laps,
        case
            when raw_value like '[%'
                then {{ dbt.safe_cast(json_array_element('raw_value', 1), type_double()) }}
        end as parsed_second_element
    from samples

)

select *
from parsed
where
    parsed_seconds is distinct from expected_seconds
    or parsed_laps is distinct from expected_laps
    or parsed_second_element is distinct from expected_second_element
