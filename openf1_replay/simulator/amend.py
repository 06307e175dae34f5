"""Results amended after the race: a stewards' decision published hours after the first classification.

OpenF1 scrapes ``session_result`` shortly after a session and replaces it when the result changes (issue #242:
Russell's disqualification at Spa 2024, announced hours after he won). ``amend_classification`` takes a race's
first ``session_result`` rows and returns the amended ones: a post-race time penalty that drops a points
finisher at least two places, a disqualification of a points finisher, or both. A disqualification is written
as OpenF1 writes one (``position`` null, ``points`` 0, ``dsq`` false, as the simulator's in-race one is).

Every draw comes from the stream the caller passes (``stream(seed, "amend", round)``), which nothing else
draws from: amending a race never changes the first version of anything.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openf1_replay.simulator.points import Championship, fastest_lap_bonus, position_points
from openf1_replay.simulator.results import laps_text
from openf1_replay.simulator.writer import LineWriter, SimulatorError

AMEND_KINDS = ("penalty", "dsq", "both")
# what a stewards' decision after the race changes upstream; every other endpoint of the amended snapshot is
# the first snapshot's file, hard-linked
AMENDED_ENDPOINTS = ("session_result", "race_control", "championship_drivers", "championship_teams")
PENALTY_STEPS_S = (5.0, 10.0, 20.0, 30.0)  # the smallest that drops the driver MIN_PLACES_DROPPED places is given
MIN_PLACES_DROPPED = 2
POINTS_PLACES = 10
PENALTY_REASONS = ("LEAVING THE TRACK AND GAINING AN ADVANTAGE", "CAUSING A COLLISION", "SPEEDING IN THE PIT LANE")
DSQ_REASONS = ("CAR UNDERWEIGHT (POST-RACE INSPECTION)", "FUEL SAMPLE NON-COMPLIANT (POST-RACE INSPECTION)")
PENALTY_PUBLISHED_AFTER_MS = 4 * 3600_000  # after the chequered flag: later than the loader's three-hour settle
DSQ_PUBLISHED_AFTER_MS = 4 * 3600_000 + 30 * 60_000


def amended_path(out: Path | str) -> Path:
    """``<OUT>.amended`` beside the snapshot folder (``sample/`` -> ``sample.amended/``), like the truth file."""
    out = Path(out)
    if not out.name:
        out = out.resolve()
    return out.with_name(out.name + ".amended")


@dataclass(frozen=True)
class Decision:
    """One stewards' decision: ``kind`` 'time_penalty' or 'dsq'; ``seconds`` for a time penalty."""

    kind: str
    driver_number: int
    reason: str
    seconds: float | None
    published_after_ms: int  # after the chequered flag

    def message(self, label: str) -> str:
        if self.kind == "dsq":
            return f"FIA STEWARDS: {label} DISQUALIFIED - {self.reason}"
        return f"FIA STEWARDS: {self.seconds:g} SECOND TIME PENALTY FOR {label} - {self.reason} (POST-RACE)"


@dataclass
class Amendment:
    """The amended rows (same drivers, same order) and what changed."""

    rows: list[dict[str, Any]]
    decisions: list[Decision]
    changes: list[dict[str, Any]] = field(default_factory=list)  # driver_number, position/points before/after


@dataclass
class AmendedSeason:
    """The amended snapshot written beside the first one while the season is simulated: every record of the
    AMENDED_ENDPOINTS, the amended race's replaced, and championships that count its amended result."""

    kind: str
    round: int
    writer: LineWriter
    championship: Championship = field(default_factory=Championship)
    race: dict[str, Any] | None = None  # the amended race and its decisions, for the truth file
    championship_sessions: list[int] = field(default_factory=list)  # sessions whose championship rows changed


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _choose_penalty(classified: list[dict[str, Any]], rng: np.random.Generator) -> tuple[int, float] | None:
    """(driver_number, seconds): a points finisher on the lead lap and the smallest penalty of PENALTY_STEPS_S
    that drops him MIN_PLACES_DROPPED places among the lead-lap finishers behind him."""
    lead = [row for row in classified if row["duration"] is not None]
    options = []
    for i, row in enumerate(lead):
        if row["position"] > POINTS_PLACES:
            continue
        for seconds in PENALTY_STEPS_S:
            total = _ms(row["duration"]) + _ms(seconds)
            if sum(1 for other in lead[i + 1 :] if _ms(other["duration"]) < total) >= MIN_PLACES_DROPPED:
                options.append((row["driver_number"], seconds))
                break
    if not options:
        return None
    return options[int(rng.integers(len(options)))]


def _choose_dsq(
    classified: list[dict[str, Any]], protected: set[int], rng: np.random.Generator
) -> tuple[int, str] | None:
    candidates = [
        row["driver_number"]
        for row in classified
        if row["position"] <= POINTS_PLACES and not row["dnf"] and row["driver_number"] not in protected
    ]
    if not candidates:
        return None
    return int(rng.choice(candidates)), str(rng.choice(DSQ_REASONS))


def amend_classification(
    rows: Iterable[dict[str, Any]],
    season: int,
    session_name: str,
    kind: str,
    fastest_lap_driver: int | None,
    rng: np.random.Generator,
) -> Amendment:
    """The race's ``session_result`` after the stewards' post-race ``kind`` decision (see AMEND_KINDS).

    The fastest-lap holder is never disqualified (the simulator's in-race DSQ spares him too, so the
    fastest-lap point of seasons up to 2024 never needs reassigning). Raises SimulatorError when the race has
    no driver the decision can apply to.
    """
    first = [dict(row) for row in rows]
    classified = sorted((r for r in first if r["position"] is not None), key=lambda r: r["position"])
    decisions: list[Decision] = []
    penalty: tuple[int, float] | None = None
    if kind in ("penalty", "both"):
        penalty = _choose_penalty(classified, rng)
        if penalty is None:
            raise SimulatorError("no points finisher of the amended race can be dropped by a time penalty")
        reason = str(rng.choice(PENALTY_REASONS))
        decisions.append(Decision("time_penalty", penalty[0], reason, penalty[1], PENALTY_PUBLISHED_AFTER_MS))
    disqualified: int | None = None
    if kind in ("dsq", "both"):
        protected = {n for n in (fastest_lap_driver, penalty[0] if penalty else None) if n is not None}
        chosen = _choose_dsq(classified, protected, rng)
        if chosen is None:
            raise SimulatorError("no points finisher of the amended race can be disqualified")
        disqualified = chosen[0]
        decisions.append(Decision("dsq", disqualified, chosen[1], None, DSQ_PUBLISHED_AFTER_MS))

    total = {r["driver_number"]: _ms(r["duration"]) for r in classified if r["duration"] is not None}
    if penalty is not None:
        total[penalty[0]] += _ms(penalty[1])
    remaining = [r for r in classified if r["driver_number"] != disqualified]
    lead = [r for r in remaining if r["duration"] is not None]
    lead.sort(key=lambda r: (total[r["driver_number"]], r["position"]))
    order = lead + [r for r in remaining if r["duration"] is None]  # lapped and retired keep their order
    winner_laps, winner_ms = order[0]["number_of_laps"], total[order[0]["driver_number"]]
    position = {r["driver_number"]: rank for rank, r in enumerate(order, start=1)}

    amended = []
    for row in first:
        number = row["driver_number"]
        new = dict(row)
        if row["position"] is not None:
            place = position.get(number)
            new["position"] = place
            new["points"] = position_points(season, session_name, place)
            if number == fastest_lap_driver:
                new["points"] += fastest_lap_bonus(season, session_name, place)
            if place is None:  # disqualified, as OpenF1 shows it: no position, no time, dsq left false
                new["duration"], new["gap_to_leader"] = None, None
            elif number in total:
                new["duration"] = total[number] / 1000
                new["gap_to_leader"] = (total[number] - winner_ms) / 1000
            elif isinstance(row["gap_to_leader"], str):
                new["gap_to_leader"] = laps_text(winner_laps - row["number_of_laps"])
        amended.append(new)
    changes = [
        {
            "driver_number": old["driver_number"],
            "position_before": old["position"],
            "position_after": new["position"],
            "points_before": old["points"],
            "points_after": new["points"],
        }
        for old, new in zip(first, amended, strict=True)
        if (old["position"], old["points"]) != (new["position"], new["points"])
    ]
    return Amendment(amended, decisions, changes)


def link_unchanged(base: Path, amended: Path, skip: Iterable[str]) -> None:
    """Give ``amended`` every file of ``base`` it does not hold yet (hidden names and the top-level names in
    ``skip`` left out), hard-linked (copied where the file system cannot link): a whole snapshot of its own
    that shares the unchanged files' bytes with ``base``."""
    skipped = set(skip)

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder).relative_to(base)
        return {
            name
            for name in names
            if name.startswith(".") or (here == Path() and name in skipped) or (amended / here / name).is_file()
        }

    def link(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    shutil.copytree(base, amended, ignore=ignore, copy_function=link, dirs_exist_ok=True)
