{#-
    Track status periods per session from race control: each status-setting message opens a period that lasts
    until the next one. Statuses: 'red' (red flag), 'sc' (safety car deployed), 'vsc' (virtual safety car
    deployed), 'yellow' (a yellow or double yellow flag, track or sector), 'green' (green flag or track clear).
    Safety-car messages are matched on patterns ('%VIRTUAL SAFETY CAR DEPLOYED%'), not exact strings;
    'ENDING' / 'IN THIS LAP' messages keep the status until the green flag.
-#}
with

race_control as (

    select
        session_key,
        recorded_at,
        category,
        flag,
        scope,
        upper(message) as message
    from {{ ref('stg_openf1__race_control') }}
    where recorded_at is not null

),

status_events as (

    select
        session_key,
        recorded_at,
        case
            when flag = 'RED' then 'red'
            when category = 'SafetyCar' and message like '%VIRTUAL SAFETY CAR DEPLOYED%' then 'vsc'
            when category = 'SafetyCar' and message like '%SAFETY CAR DEPLOYED%' then 'sc'
            when flag in ('YELLOW', 'DOUBLE YELLOW') and scope in ('Track', 'Sector') then 'yellow'
            when flag = 'GREEN' then 'green'
            when flag = 'CLEAR' and scope = 'Track' then 'green'
            when flag = 'CLEAR' and scope = 'Sector' then 'green'
        end as track_status
    from race_control

),

ordered as (

    select
        session_key,
        recorded_at as started_at,
        track_status,
        lag(track_status) over (partition by session_key order by recorded_at) as previous_status,
        row_number() over (partition by session_key order by recorded_at, track_status) as event_number
    from status_events
    where track_status is not null

),

changes as (

    -- consecutive messages with the same status collapse into one period
    select
        session_key,
        started_at,
        track_status
    from ordered
    where previous_status is null or previous_status != track_status

),

periods as (

    select
        session_key,
        track_status,
        started_at,
        row_number() over (partition by session_key order by started_at, track_status) as period_number,
        lead(started_at) over (partition by session_key order by started_at, track_status) as ended_at
    from changes

)

select * from periods
