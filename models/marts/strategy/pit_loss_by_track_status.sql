-- PLACEHOLDER until the pitloss branch lands (issue 18 item 1): replaced by the real mart at merge
select circuit_key, season, track_status_at_stop as track_status, count(*) as stops, avg(lane_duration_s) - 3 as median_pit_loss_s
from {{ ref('fct_pit_stops') }} where session_kind = 'race' and stop_kind = 'race_stop' and track_status_at_stop in ('green','vsc','sc')
group by 1,2,3
