"""simulate(): the whole season, round by round, into a snapshot folder plus the truth sidecar."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openf1_replay.simulator.amend import (
    AMEND_KINDS,
    AMENDED_ENDPOINTS,
    AmendedSeason,
    amended_path,
    link_unchanged,
)
from openf1_replay.simulator.calendar import build_calendar
from openf1_replay.simulator.model import build_model
from openf1_replay.simulator.people import Paddock
from openf1_replay.simulator.points import Championship
from openf1_replay.simulator.rng import stream
from openf1_replay.simulator.track import build_track
from openf1_replay.simulator.weekend import (
    SeasonEvents,
    Weekend,
    WeekendContext,
    pit_loss_s,
    pit_loss_truth,
    race_laps,
)
from openf1_replay.simulator.writer import (
    MARKER,
    README,
    LineWriter,
    SimulatorError,
    prepare_output,
    remove_output,
    write_json,
    write_readme,
)
from openf1_replay.snapshot import ENDPOINTS

MIN_SEASON, MAX_SEASON = 2023, 2100
MAX_ROUNDS = 24
TELEMETRY_MODES = ("races", "all", "none")
LAP_TIME_FORMULA = (
    "lap_time = base_lap_time_s + driver_pace_s + car_pace_s + compound_offset_s[compound] "
    "+ compound_degradation_s_per_lap[compound] * tyre_age + fuel_effect_s_per_lap * fuel_laps_on_board + noise; "
    "tyre_age = tyre_age_at_start + lap_number - lap_start; in races fuel_laps_on_board = laps - lap_number + 1"
)


def default_truth_path(out: Path | str) -> Path:
    """``<OUT>.truth.json`` beside the snapshot folder (``sample/`` -> ``sample.truth.json``)."""
    out = Path(out)
    if not out.name:  # '.', '/': name the sidecar after the resolved folder
        out = out.resolve()
    return out.with_name(out.name + ".truth.json")


def validate(
    season: int,
    rounds: int,
    seed: int,
    telemetry: str,
    telemetry_hz: float,
    cancelled_round: int | None,
    amend: str | None = None,
    amend_round: int | None = None,
) -> None:
    if not MIN_SEASON <= season <= MAX_SEASON:
        raise SimulatorError(f"--season {season}: OpenF1 data starts in {MIN_SEASON}; give a season from {MIN_SEASON}")
    if not 1 <= rounds <= MAX_ROUNDS:
        raise SimulatorError(f"--rounds {rounds}: give 1 to {MAX_ROUNDS} rounds")
    if seed < 0:
        raise SimulatorError(f"--seed {seed}: give a non-negative integer")
    if telemetry not in TELEMETRY_MODES:
        raise SimulatorError(f"--telemetry {telemetry!r}: choose one of {', '.join(TELEMETRY_MODES)}")
    if not 0.1 <= telemetry_hz <= 20:
        raise SimulatorError(f"--telemetry-hz {telemetry_hz}: give a rate between 0.1 and 20")
    if cancelled_round is not None and not 1 <= cancelled_round <= rounds:
        raise SimulatorError(f"--cancelled-round {cancelled_round}: give a round between 1 and {rounds}")
    if amend is not None and amend not in AMEND_KINDS:
        raise SimulatorError(f"--amend {amend!r}: choose one of {', '.join(AMEND_KINDS)}")
    if amend_round is not None:
        if amend is None:
            raise SimulatorError(f"--amend-round {amend_round}: give --amend too (e.g. --amend both)")
        if not 1 <= amend_round <= rounds or amend_round == cancelled_round:
            raise SimulatorError(f"--amend-round {amend_round}: give a round from 1 to {rounds}, not a cancelled one")
    if amend is not None and cancelled_round == rounds == 1:
        raise SimulatorError("--amend: the only round is cancelled; there is no race to amend")


def default_amend_round(rounds: int, cancelled_round: int | None) -> int:
    """The season's last race that is not cancelled: the one whose result was published last."""
    return max(r for r in range(1, rounds + 1) if r != cancelled_round)


def season_events(seed: int, rounds: int, cancelled_round: int | None) -> SeasonEvents:
    active = [r for r in range(1, rounds + 1) if r != cancelled_round]
    if not active:
        return SeasonEvents(None, None, None, frozenset())
    rng = stream(seed, "season-events")
    wet = {active[2]} if len(active) >= 3 else set()
    wet |= {r for r in active[4:] if rng.random() < 0.12}
    return SeasonEvents(
        neutralised_round=active[0],
        dns_round=active[min(1, len(active) - 1)],
        dsq_round=active[max(0, len(active) - 2)],
        wet_rounds=frozenset(wet),
    )


def simulate(
    season: int,
    rounds: int,
    seed: int,
    out: Path | str,
    telemetry: str = "races",
    telemetry_hz: float = 3.7,
    truth_path: Path | str | None = None,
    cancelled_round: int | None = None,
    progress: Callable[[str], None] | None = None,
    amend: str | None = None,
    amend_round: int | None = None,
) -> dict[str, Any]:
    """Simulate a season into the snapshot folder ``out``; return a summary (rows per endpoint, paths, time).

    ``amend`` ('penalty', 'dsq' or 'both') also writes ``<OUT>.amended/``: the same snapshot after a stewards'
    decision published hours after the race ``amend_round`` (default: the last one), recorded in the truth
    file's ``amendment``. Without it, an amended folder an earlier run left beside ``out`` is removed.
    Raises SimulatorError on bad arguments or an ``out`` that exists and is not an earlier simulator output.
    """
    started = time.perf_counter()
    validate(season, rounds, seed, telemetry, telemetry_hz, cancelled_round, amend, amend_round)
    out = Path(out)
    truth_file = Path(truth_path) if truth_path is not None else default_truth_path(out)
    amended_out = amended_path(out)
    prepare_output(out, truth_file)
    if amend is None:
        if remove_output(amended_out) and progress is not None:
            progress(f"removed {amended_out}: an amended snapshot of an earlier run, stale now")
    else:
        prepare_output(amended_out, truth_file)
        amend_round = amend_round if amend_round is not None else default_amend_round(rounds, cancelled_round)

    calendar = build_calendar(season, rounds, cancelled_round)
    paddock = Paddock(stream(seed, "people"), rounds)
    model = build_model(stream(seed, "model"))
    events = season_events(seed, rounds, cancelled_round)
    counts: Counter[str] = Counter({endpoint: 0 for endpoint in ENDPOINTS})
    ctx = WeekendContext(
        season, seed, model, Championship(), [t.name for t in paddock.teams], events, telemetry, telemetry_hz, counts
    )
    if amend is not None and amend_round is not None:
        ctx.amend = AmendedSeason(amend, amend_round, LineWriter(amended_out))
    rounds_truth = []
    with LineWriter(out) as writer:
        counts["meetings"] += writer.write("meetings", [m.meeting_row() for m in calendar])
        counts["sessions"] += writer.write("sessions", [row for m in calendar for row in m.session_rows()])
        for meeting in calendar:
            before = sum(counts.values())
            track = build_track(stream(seed, "track", meeting.circuit.circuit_key), meeting.circuit.length_km)
            sessions_truth = (
                []
                if meeting.is_cancelled
                else Weekend(ctx, meeting, paddock.lineup(meeting.round), track, writer, out).run()
            )
            rounds_truth.append(_round_truth(meeting, track, model, sessions_truth))
            if progress is not None:
                status = "cancelled" if meeting.is_cancelled else f"{sum(counts.values()) - before:,} rows"
                progress(
                    f"round {meeting.round}/{rounds} {meeting.name}: {status} ({time.perf_counter() - started:.1f} s)"
                )

    write_readme(out, season, rounds, seed)
    arguments: dict[str, Any] = {
        "season": season,
        "rounds": rounds,
        "seed": seed,
        "telemetry": telemetry,
        "telemetry_hz": telemetry_hz,
        "cancelled_round": cancelled_round,
    }
    if ctx.amend is not None:  # only when asked: a season without --amend keeps its files byte for byte
        arguments |= {"amend": ctx.amend.kind, "amend_round": ctx.amend.round}
    write_json(out / MARKER, {"generator": "openf1_replay.simulator", **arguments, "rows": dict(counts)})
    truth = _truth(arguments, model, paddock, rounds, rounds_truth, events)
    summary = {"out": str(out), "truth": str(truth_file), "rows": dict(counts)}
    if ctx.amend is not None:
        truth["amendment"] = _finish_amendment(ctx.amend, out, amended_out, arguments)
        summary["amended"] = str(amended_out)
        if progress is not None:
            progress(f"amended round {ctx.amend.round}: {_describe(truth['amendment'])} -> {amended_out}")
    write_json(truth_file, truth)
    return {**summary, "seconds": round(time.perf_counter() - started, 2)}


def _finish_amendment(amend: AmendedSeason, out: Path, amended_out: Path, arguments: dict[str, Any]) -> dict[str, Any]:
    """Close the amended snapshot, give it the first snapshot's other files (hard links), mark and describe it;
    return the truth file's ``amendment``."""
    amend.writer.close()
    link_unchanged(out, amended_out, skip=(MARKER, README))
    (amended_out / README).write_text(
        f"# Simulated OpenF1 snapshot, amended\n\n`{out.name}` after a stewards' decision published hours after "
        f"round {amend.round}'s race: {', '.join(AMENDED_ENDPOINTS)} differ, every other file is `{out.name}`'s "
        "(hard-linked). The decision is described in the truth file's `amendment`.\n",
        encoding="utf-8",
    )
    write_json(
        amended_out / MARKER,
        {"generator": "openf1_replay.simulator", **arguments, "amendment_of": out.name, "amended": AMENDED_ENDPOINTS},
    )
    return {
        "snapshot": amended_out.name,
        "kind": amend.kind,
        "endpoints": list(AMENDED_ENDPOINTS),
        **(amend.race or {}),
        "championship_sessions": amend.championship_sessions,
    }


def _describe(amendment: dict[str, Any]) -> str:
    """'car 12 +10 s (P4 -> P7); car 5 disqualified (P1 -> DSQ)'."""
    parts = []
    for decision in amendment.get("decisions", []):
        what = "disqualified" if decision["kind"] == "dsq" else f"+{decision['seconds']:g} s"
        after = "DSQ" if decision["position_after"] is None else f"P{decision['position_after']}"
        parts.append(f"car {decision['driver_number']} {what} (P{decision['position_before']} -> {after})")
    return "; ".join(parts)


def _round_truth(meeting: Any, track: Any, model: Any, sessions: list[dict[str, Any]]) -> dict[str, Any]:
    c = meeting.circuit
    return {
        "round": meeting.round,
        "meeting_key": meeting.meeting_key,
        "meeting_name": meeting.name,
        "circuit_key": c.circuit_key,
        "circuit_short_name": c.circuit_short_name,
        "is_cancelled": meeting.is_cancelled,
        "is_sprint_weekend": meeting.is_sprint_weekend,
        "length_km": c.length_km,
        "race_laps": race_laps(c.length_km, False),
        "sprint_laps": race_laps(c.length_km, True) if meeting.is_sprint_weekend else None,
        "base_lap_time_s": round(track.lap_time, 3),
        "pit_lane_duration_s": track.pit_lane_duration_s,
        "pit_loss_s": pit_loss_s(track, model.out_lap_cold_tyres_s),
        **pit_loss_truth(track, model),
        "drs_zones": track.drs_zone_count,
        "sessions": sessions,
    }


def _truth(
    arguments: dict[str, Any],
    model: Any,
    paddock: Paddock,
    rounds: int,
    rounds_truth: list[dict[str, Any]],
    events: SeasonEvents,
) -> dict[str, Any]:
    teams_by_name = {t.name: t for t in paddock.teams}
    history: dict[str, list[dict[str, Any]]] = {}
    for r in range(1, rounds + 1):
        for entry in paddock.lineup(r):
            history.setdefault(entry.driver.driver_id, []).append(
                {"round": r, "team_name": entry.team.name, "driver_number": entry.number}
            )
    drivers = []
    for driver in paddock.drivers:
        seats = history.get(driver.driver_id, [])
        if not seats:
            continue
        car = teams_by_name[seats[-1]["team_name"]].car_pace_s
        drivers.append(
            {
                "driver_id": driver.driver_id,
                "full_name": driver.full_name,
                "name_acronym": driver.acronym,
                "driver_pace_s": driver.pace_s,
                "car_pace_s": car,
                "total_pace_s": round(driver.pace_s + car, 3),
                "rounds": seats,
            }
        )
    return {
        "generator": "openf1_replay.simulator",
        "format_version": 1,
        "season": arguments["season"],
        "arguments": arguments,
        "model": {"lap_time_formula": LAP_TIME_FORMULA, **model.truth()},
        **paddock.truth(),
        "drivers": drivers,
        "driver_pace_rank": [
            d["driver_id"] for d in sorted(drivers, key=lambda d: (d["driver_pace_s"], d["driver_id"]))
        ],
        "total_pace_rank": [d["driver_id"] for d in sorted(drivers, key=lambda d: (d["total_pace_s"], d["driver_id"]))],
        "season_events": {
            "neutralised_round": events.neutralised_round,
            "dns_round": events.dns_round,
            "dsq_round": events.dsq_round,
            "wet_rounds": sorted(events.wet_rounds),
        },
        "rounds": rounds_truth,
    }
