"""Qualifying and sprint qualifying: three knock-out phases (20 -> 15 -> 10) and the starting grid.

session_result carries ``duration`` and ``gap_to_leader`` as [Q1, Q2, Q3] arrays (null for phases a
driver did not reach or set no time in); the starting grid (keyed by this session) is the final order,
with each car's best lap of the last phase it reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from openf1_replay.simulator.calendar import Session
from openf1_replay.simulator.model import LapModel
from openf1_replay.simulator.people import Entry
from openf1_replay.simulator.practice import SessionOutcome
from openf1_replay.simulator.runs import CarLog, RunDriver
from openf1_replay.simulator.track import Track

# (start minute, length in minutes) of Q1/Q2/Q3
PHASES = {"Qualifying": ((0, 18), (25, 15), (48, 12)), "Sprint Qualifying": ((0, 12), (19, 10), (36, 8))}
ELIMINATED_PER_PHASE = 5


@dataclass
class QualifyingOutcome(SessionOutcome):
    grid: list[Entry]  # pole first
    grid_rows: list[dict[str, Any]]
    phase_reached: dict[int, int]  # driver number -> last phase (0-based)


def _phase_compound(session: Session, phase: int) -> str:
    return "MEDIUM" if session.name == "Sprint Qualifying" and phase < 2 else "SOFT"


def run_qualifying(
    session: Session, track: Track, model: LapModel, lineup: list[Entry], rng: np.random.Generator
) -> QualifyingOutcome:
    driver = RunDriver(track, model, rng)
    logs = {entry.number: CarLog(entry) for entry in lineup}
    alive = [entry.number for entry in lineup]
    reached = {}
    phases = []
    eliminated: list[list[int]] = []
    for index, (offset, length) in enumerate(PHASES[session.name]):
        start = session.start_ms + offset * 60_000
        end = start + length * 60_000
        phases.append((start, end, f"Q{index + 1}"))
        compound = _phase_compound(session, index)
        for number in alive:
            reached[number] = index
            log = logs[number]
            first = start + int(rng.uniform(1, 4) * 60_000)
            back = driver.run(
                log, first, compound, int(rng.choice([1, 2], p=[0.7, 0.3])), 2.0,
                phase=index, cool_between=True, delete_chance=0.05, evolution_s=-0.12 * index,
            )  # fmt: skip
            push_done = (1.3 + 1.0) * track.lap_time * 1000
            second = max(end - int(push_done) - int(rng.uniform(5, 80) * 1000), back + 3 * 60_000)
            if second + push_done < end + 60_000:
                driver.run(
                    log, second, compound, 1, 2.0,
                    phase=index, delete_chance=0.05, evolution_s=-0.12 * index - 0.1,
                    reuse_set=bool(rng.random() < 0.3),
                )  # fmt: skip
        for number in alive:  # everyone sets a time: if all were deleted, the last deletion is not made
            log = logs[number]
            if log.best(index) is None:
                last = max(i for i, (p, ph) in enumerate(zip(log.push, log.phase, strict=True)) if p and ph == index)
                log.deleted[last] = False
        ranked = sorted(alive, key=lambda n: (logs[n].best(index) is None, logs[n].best(index) or 0, n))
        if index < 2:
            eliminated.append(ranked[-ELIMINATED_PER_PHASE:])
            alive = ranked[:-ELIMINATED_PER_PHASE]
        else:
            eliminated.append(ranked)
    order = eliminated[2] + eliminated[1] + eliminated[0]
    fastest = [min((t for n in logs if (t := logs[n].best(p)) is not None), default=None) for p in range(3)]
    rows, grid_rows = [], []
    for position, number in enumerate(order, start=1):
        log = logs[number]
        times = [log.best(p) if reached[number] >= p else None for p in range(3)]
        rows.append(
            {
                "position": position,
                "driver_number": number,
                "number_of_laps": log.laps,
                "dnf": False,
                "dns": False,
                "dsq": False,
                "duration": [t / 1000 if t is not None else None for t in times],
                "gap_to_leader": [
                    (t - f) / 1000 if t is not None and f is not None else None
                    for t, f in zip(times, fastest, strict=True)
                ],
                "meeting_key": session.meeting_key,
                "session_key": session.session_key,
                "points": None,
            }
        )
        last = times[reached[number]]
        grid_rows.append(
            {
                "position": position,
                "driver_number": number,
                "lap_duration": last / 1000 if last is not None else None,
                "meeting_key": session.meeting_key,
                "session_key": session.session_key,
            }
        )
    rows.sort(key=lambda row: row["driver_number"])
    grid_rows.sort(key=lambda row: row["driver_number"])
    by_number = {entry.number: entry for entry in lineup}
    return QualifyingOutcome(
        session=session,
        logs=[logs[e.number] for e in lineup],
        results=rows,
        phases=phases,
        grid=[by_number[n] for n in order],
        grid_rows=grid_rows,
        phase_reached=reached,
    )
