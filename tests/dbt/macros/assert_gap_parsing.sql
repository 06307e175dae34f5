{#-
    Proves the gap macros on OpenF1's real shapes: seconds, '+1 LAP', '+3 LAPS', JSON null, a quoted string,
    and a qualifying array element. Returns the rows where a parsed value differs from the expected one.
-#}
with

samples as (

    select *
    from (
        values
        ('84.542', 84.542, null, null),
        ('+1 LAP', null, 1, null),
        ('+3 LAPS', null, 3, null),
        ('"+2 LAPS"', null, 2, null),
        ('null', null, null, null),
        ('[90.031, 89.374, null]', null, null, 89.374)
    ) as sample_values (raw_value, expected_seconds, expected_laps, expected_second_element)

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
