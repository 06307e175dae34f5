{#-
    Track status periods per session from race control, in two layers:
    - the neutralisation: a red flag, or a safety car's or a virtual safety car's deployment (which one it is:
      macros/neutralisation_kind.sql, read by fct_race_control too) lasts until a track-wide green or clear
      ('GREEN LIGHT - PIT EXIT OPEN', 'TRACK CLEAR'); 'ENDING' / 'IN THIS LAP' messages and sector clears do not
      end it;
    - local flags: a track or sector yellow (or double yellow) lasts until a green or a clear (track or sector).
    The status is the neutralisation while one is out, else 'yellow' or 'green' from the local flags.
    Messages sharing an instant (OpenF1 sends 'SAFETY CAR DEPLOYED' and 'CLEAR IN TRACK SECTOR 10' in the same
    second) resolve by precedence, red > sc > vsc > end of neutralisation, and yellow > green, so each instant
    has one state and the order over instants is total: every build gives the same periods.
-#}
with

race_control as (

    select
        session_key,
        recorded_at,
        flag,
        scope,
        upper(message) as message,
        {{ neutralisation_kind('category', 'message') }} as neutralisation_kind
    from {{ ref('stg_openf1__race_control') }}
    where recorded_at is not null

),

events as (

    select
        session_key,
        recorded_at,
        case
            when flag = 'RED' then 1
            when neutralisation_kind = 'virtual_safety_car' and message like '%DEPLOYED%' then 3
            when neutralisation_kind = 'safety_car' and message like '%DEPLOYED%' then 2
            when flag = 'GREEN' and coalesce(scope, 'Track') = 'Track' then 4
            when flag = 'CLEAR' and scope = 'Track' then 4
        end as neutralisation_precedence,
        case
            when flag in ('YELLOW', 'DOUBLE YELLOW') and scope in ('Track', 'Sector') then 1
            when flag = 'GREEN' then 2
            when flag = 'CLEAR' and scope in ('Track', 'Sector') then 2
        end as local_precedence
    from race_control

),

instants as (

    -- one state per instant: 1 red, 2 sc, 3 vsc, 4 neutralisation over; locally 1 yellow, 2 green
    select
        session_key,
        recorded_at,
        min(neutralisation_precedence) as neutralisation_precedence,
        min(local_precedence) as local_precedence
    from events
    where neutralisation_precedence is not null or local_precedence is not null
    group by session_key, recorded_at

),

latest_events as (

    -- for each instant, the latest instant at or before it that set each layer
    select
        session_key,
        recorded_at,
        max(case when neutralisation_precedence is not null then recorded_at end) over (
            partition by session_key order by recorded_at rows between unbounded preceding and current row
        ) as neutralisation_set_at,
        max(case when local_precedence is not null then recorded_at end) over (
            partition by session_key order by recorded_at rows between unbounded preceding and current row
        ) as local_set_at
    from instants

),

states as (

    select
        latest_events.session_key,
        latest_events.recorded_at,
        case
            when neutralisations.neutralisation_precedence = 1 then 'red'
            when neutralisations.neutralisation_precedence = 2 then 'sc'
            when neutralisations.neutralisation_precedence = 3 then 'vsc'
            when local_flags.local_precedence = 1 then 'yellow'
            else 'green'
        end as track_status
    from latest_events
    left outer join instants as neutralisations
        on
            latest_events.session_key = neutralisations.session_key
            and latest_events.neutralisation_set_at = neutralisations.recorded_at
    left outer join instants as local_flags
        on
            latest_events.session_key = local_flags.session_key
            and latest_events.local_set_at = local_flags.recorded_at

),

ordered as (

    select
        session_key,
        recorded_at as started_at,
        track_status,
        lag(track_status) over (partition by session_key order by recorded_at) as previous_status
    from states

),

changes as (

    -- consecutive instants with the same status collapse into one period
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
        row_number() over (partition by session_key order by started_at) as period_number,
        lead(started_at) over (partition by session_key order by started_at) as ended_at
    from changes

)

select * from periods
