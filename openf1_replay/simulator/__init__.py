"""A deterministic OpenF1 season simulator: a whole season as a snapshot folder, plus the truth behind it.

Usage::

    python -m openf1_replay.simulator --season 2025 --rounds 4 --seed 7 --out sample/ \\
        [--telemetry races|all|none] [--telemetry-hz 3.7] [--truth FILE] [--cancelled-round K] \\
        [--amend [penalty|dsq|both]] [--amend-round K]

    from openf1_replay.simulator import simulate
    summary = simulate(2025, 4, 7, "sample/", telemetry="races", telemetry_hz=1.0)  # {'rows': {...}, ...}

It writes every OpenF1 endpoint through ``openf1_replay.snapshot.SnapshotWriter``: ``<endpoint>.jsonl.gz`` for the
light ones, ``car_data/<session_key>.jsonl.gz`` and ``location/<session_key>.jsonl.gz`` per session for telemetry
(races and sprints by default), plus ``_simulator.json`` (the arguments and row counts; it also marks the folder
as simulator output, which may be overwritten) and a ``README.md``. The same arguments give byte-identical files:
every random draw comes from a stream seeded by (seed, round, session, topic) (``rng.py``). Work is done and
written session by session; telemetry is generated with numpy per (session, car) and formatted with pyarrow.

The world (one module per job): ``calendar`` (rounds, keys, UTC times; sprint weekends every fourth round from
round 2), ``track`` (a generated outline and the speed profile driven round it), ``people`` (fictional teams and
drivers, a mid-season driver change and a number changing hands), ``model`` (the lap-time model),
``race_plan``/``race``/``results``/``timing`` (strategies and incidents, the race lap by lap, classification,
live timing), ``practice``/``qualifying``/``runs`` (garage runs, Q1-Q3 knock-outs, the grid), ``race_control``,
``weather``, ``radio``, ``laps`` (lap/stint/pit records), ``telemetry``, ``points`` (rules and championships),
``weekend``/``season``/``writer``/``cli`` (orchestration and output).

Deliberate real-data quirks (each as real OpenF1 data has it; the truth file says where they are):

* ``laps``: lap 1 of every session has null ``date_start``, ``lap_duration`` and ``duration_sector_1`` and a null
  first mini-sector (OpenF1 #30).
* ``laps``: two laps are missing from each Grand Prix (truth: ``missing_laps``); stints still cover them.
* ``drivers``: in each Grand Prix session one driver row appears twice, identical.
* ``drivers``: the rookie has a null ``headshot_url``; ``country_code`` is null from 2025 (deprecated); one team's
  ``team_colour`` is lower case.
* ``stints``: one stint per Grand Prix has a null ``compound`` (truth: ``null_compound_stints`` has the real one).
* ``session_result``: the season's disqualification has ``position`` null, ``points`` 0 and ``dsq`` (and ``dnf``,
  ``dns``) false; race control announces it. Lapped finishers have ``duration`` null and ``gap_to_leader``
  '+N LAP(S)'; retirements have both null (classified retirements keep their position).
* ``pit``: the deprecated ``pit_duration`` (= ``lane_duration``) beside ``lane_duration`` and ``stop_duration``
  (null before the 2024 United States GP, i.e. seasons before 2024 and 2024 rounds before Austin's).
* ``intervals``: the leader has 0.0/0.0; cars a lap down have ``gap_to_leader`` '+1 LAP' / '+2 LAPS'.
* ``position``: change events only. ``starting_grid``: keyed by the (sprint) qualifying session.
* ``driver_number`` is not an identity: a departed driver's number is later raced by another driver in another team.
* ``race_control``: dates in whole seconds; ``lap_number`` null outside races.
* Time penalties change ``session_result`` but not live ``position``/``intervals`` (as on the real timing feed).

``--amend`` also writes ``<OUT>.amended/`` (``amend``): the season after a stewards' decision published hours after
one race (a post-race time penalty, a disqualification, or both), in which ``session_result``, ``race_control`` and
the championships differ and every other file is a hard link to ``<OUT>``'s. ``<OUT>`` is unchanged by it.

Known simplifications: the segment code 2064 (pit lane) appears only outside races, as OPENF1.md says, although
real race laps show it around pit stops; cars pass freely (no dirty-air model); outlines are not the real circuits.

The truth sidecar (``--truth FILE``, default ``<OUT>.truth.json`` beside the folder, never inside it) is JSON:

* ``generator``, ``format_version``, ``season``, and ``arguments`` (``season``, ``rounds``, ``seed``, ``telemetry``,
  ``telemetry_hz``, ``cancelled_round``): how it was made.
* ``model``: ``lap_time_formula`` (text) and its parameters: ``fuel_effect_s_per_lap`` (lap time falls by this per
  lap completed), ``noise_sd_s``, ``compound_offset_s`` and ``compound_degradation_s_per_lap`` per compound (SOFT,
  MEDIUM, HARD, INTERMEDIATE, WET; linear in tyre age = ``tyre_age_at_start + lap_number - lap_start``),
  ``sc_lap_factor``, ``vsc_lap_factor``, ``standing_start_s``, ``grid_slot_s``, ``out_lap_cold_tyres_s``.
* ``teams``: ``team_name``, ``car_pace_s``. ``drivers``: ``driver_id`` (our stable identity), ``full_name``,
  ``name_acronym``, ``driver_pace_s``, ``car_pace_s``, ``total_pace_s`` (s/lap vs the field, lower is faster) and
  ``rounds`` (round, team_name, driver_number). ``driver_pace_rank`` / ``total_pace_rank``: driver ids, fastest first.
* ``lineup_changes``: ``round``, ``team_name``, ``leaving_driver_id``, ``joining_driver_id``, ``driver_number``,
  ``permanent`` (false for a one-weekend stand-in).
* ``season_events``: ``neutralised_round`` (its race has a safety car and a VSC), ``dns_round``, ``dsq_round``,
  ``wet_rounds``.
* ``rounds``: per round ``round``, ``meeting_key``, ``meeting_name``, ``circuit_key``, ``circuit_short_name``,
  ``is_cancelled``, ``is_sprint_weekend``, ``length_km``, ``race_laps``, ``sprint_laps``, ``base_lap_time_s`` (zero
  fuel, new soft, average driver and car), ``pit_lane_duration_s`` (nominal lane time), ``pit_loss_s`` (time lost
  versus staying out), ``pit_loss_by_track_status_s`` (``green`` = ``pit_loss_s``, ``vsc``, ``sc``: the loss of a
  nominal stop whose in-lap and out-lap are both at that status's full lap factor, see below),
  ``pit_loss_parts_s`` (``pit_in_lane_s``, ``pit_out_lane_s``, ``stop_nominal_s``, ``out_lap_cold_tyres_s``,
  ``pit_in_racing_s``, ``pit_out_racing_s``), ``drs_zones``, and ``sessions``: ``session_key``, ``session_name``,
  ``session_type``; races and sprints add ``laps``, ``lights_out``, ``sc_laps``, ``vsc_laps`` (every lap affected,
  deployment lap included), ``neutralisations`` (kind, start_lap, end_lap, caused_by), ``wet_laps``,
  ``retirements`` (driver_id, driver_number, laps_completed, cause), ``dns``, ``dsq``, ``time_penalty``,
  ``fastest_lap``, ``stints`` (driver_number -> [compound, lap_start, lap_end, tyre_age_at_start]),
  ``strategies`` (driver_number -> driver_id, grid, finished, laps_completed, ``strategy`` as "M:1-18,H:19-57"
  over the laps driven, compounds, in_laps, tyre_ages_at_start; DNS cars absent), ``pit_stops`` (driver_id,
  driver_number, in_lap, ``track_status`` of the in-lap ('green', 'vsc', 'sc'), ``out_lap_status``,
  ``in_lap_factor``, ``out_lap_factor``, ``stop_s`` (the stationary time drawn), ``lane_s`` (the pit-lane time,
  entry to exit, unrounded), ``pit_loss_s`` (what this stop cost as the engine charged it: ``lane_s`` -
  in_lap_factor x pit_in_racing_s - out_lap_factor x pit_out_racing_s + out_lap_cold_tyres_s)), ``missing_laps``,
  ``null_compound_stints``.

  Pit loss by track status: a car staying out drives the stretches the pit lane replaces (``pit_in_racing_s``
  before the line, ``pit_out_racing_s`` after it) at the lap's factor (1 green, ``vsc_lap_factor`` under a VSC,
  ``sc_lap_factor`` under a safety car; half the extra on a neutralisation's deployment lap), the pitting car
  drives the lane at the speed limit whatever the status, so loss = pit_in_lane_s - f_in * pit_in_racing_s +
  stop + pit_out_lane_s - f_out * pit_out_racing_s + out_lap_cold_tyres_s. Under a safety car the figure is
  the time the in-lap and out-lap take beyond two safety-car laps (base lap x ``sc_lap_factor``); the field
  queues behind the safety car, so a car that stops rejoins the queue and what it loses to the cars that stayed
  out is places, not these seconds (the queue closes the gap up to 0.35-1 s a car by the restart).
* ``amendment`` (``--amend`` only; ``arguments`` then also holds ``amend`` and ``amend_round``): ``snapshot``, ``kind``,
  ``endpoints``, ``round``, ``meeting_key``, ``session_key``, ``session_name``, ``published_at``, ``decisions`` (kind
  ``time_penalty`` or ``dsq``, driver_id, driver_number, seconds, reason, message, published_at, position_before,
  position_after), ``classification_changes`` (driver_id, driver_number, position and points before and after) and
  ``championship_sessions`` (session keys whose championship rows changed). See openf1_replay/README.md.
"""

from openf1_replay.simulator.season import simulate
from openf1_replay.simulator.writer import SimulatorError

__all__ = ["SimulatorError", "simulate"]
