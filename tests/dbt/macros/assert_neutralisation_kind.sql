{#-
    Proves neutralisation_kind on race control's messages as OpenF1 sends them: a virtual safety car's deployment
    and ending, a safety car's deployment and its 'IN THIS LAP', and messages that neutralise nothing (a flag,
    a SafetyCar-less mention). Returns the rows where the macro's answer differs from the expected one.
-#}
with

samples as (

    select *
    from (
        select
            'SafetyCar' as category,
            'VIRTUAL SAFETY CAR DEPLOYED' as message,
            'virtual_safety_car' as expected_kind
        union all
        select
            'SafetyCar' as category,
            'Virtual Safety Car Ending' as message,
            'virtual_safety_car' as expected_kind
        union all
        select
            'SafetyCar' as category,
            'SAFETY CAR DEPLOYED' as message,
            'safety_car' as expected_kind
        union all
        select
            'SafetyCar' as category,
            'SAFETY CAR IN THIS LAP' as message,
            'safety_car' as expected_kind
        union all
        select
            'Other' as category,
            'VIRTUAL SAFETY CAR DEPLOYED IN THE SIMULATOR' as message,
            null as expected_kind
        union all
        select
            'Flag' as category,
            'YELLOW IN TRACK SECTOR 4' as message,
            null as expected_kind
    ) as sample_values

),

answers as (

    select
        message,
        expected_kind,
        {{ neutralisation_kind('category', 'message') }} as neutralisation_kind
    from samples

),

wrong as (

    select *
    from answers
    where coalesce(neutralisation_kind, '<null>') != coalesce(expected_kind, '<null>')

)

select * from wrong
