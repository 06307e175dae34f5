{#-
    Proves regex_capture on race control's penalty messages (the car number, or null when the text does not
    match) and session_kind on OpenF1's session names, 2023's 'Sprint Shootout' included. Returns the rows where
    a macro's answer differs from the expected one.
-#}
with

samples as (

    select *
    from (
        select
            'FIA STEWARDS: DRIVE THROUGH PENALTY FOR CAR 44 (HAM) - SPEEDING IN THE PIT LANE' as message,
            '44' as expected_car,
            'Race' as session_type,
            'Race' as session_name,
            'race' as expected_kind
        union all
        select
            'FIA STEWARDS: 10 SECOND STOP/GO PENALTY FOR CAR 4 (NOR) - FAILING TO SLOW' as message,
            '4' as expected_car,
            'Race' as session_type,
            'Sprint' as session_name,
            'sprint' as expected_kind
        union all
        select
            'SAFETY CAR DEPLOYED' as message,
            null as expected_car,
            'Qualifying' as session_type,
            'Sprint Qualifying' as session_name,
            'sprint_qualifying' as expected_kind
        union all
        select
            'TRACK CLEAR' as message,
            null as expected_car,
            'Qualifying' as session_type,
            'Sprint Shootout' as session_name,
            'sprint_qualifying' as expected_kind
        union all
        select
            'CAR 11 (PER) TIME 1:37.693 DELETED' as message,
            null as expected_car,
            'Qualifying' as session_type,
            'Qualifying' as session_name,
            'qualifying' as expected_kind
        union all
        select
            'GREEN LIGHT - PIT EXIT OPEN' as message,
            null as expected_car,
            'Practice' as session_type,
            'Practice 1' as session_name,
            'practice' as expected_kind
    ) as sample_values

),

answers as (

    select
        message,
        expected_car,
        expected_kind,
        {{ regex_capture('message', 'PENALTY FOR CAR ([0-9]+)') }} as captured_car,
        {{ session_kind('session_type', 'session_name') }} as session_kind
    from samples

),

wrong as (

    select *
    from answers
    where
        coalesce(captured_car, '<null>') != coalesce(expected_car, '<null>')
        or session_kind != expected_kind

)

select * from wrong
