"""Practice sessions: each car goes out for short (low fuel, soft) and long (high fuel) runs until the flag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from openf1_replay.simulator.calendar import Session
from openf1_replay.simulator.model import LapModel
from openf1_replay.simulator.people import Entry
from openf1_replay.simulator.runs import CarLog, RunDriver
from openf1_replay.simulator.track import Track


@dataclass
class SessionOutcome:
    session: Session
    logs: list[CarLog]
    results: list[dict[str, Any]]
    phases: list[tuple[int, int, str | None]]  # (start_ms, end_ms, name) of green-flag periods


def run_practice(
    session: Session, track: Track, model: LapModel, lineup: list[Entry], rng: np.random.Generator
) -> SessionOutcome:
    driver = RunDriver(track, model, rng)
    logs = []
    for entry in lineup:
        log = CarLog(entry)
        now = session.start_ms + int(rng.uniform(2, 12) * 60_000)
        while True:
            long_run = bool(rng.random() < (0.25 if session.name == "Practice 3" else 0.45))
            if long_run:
                compound, pushes, fuel = str(rng.choice(["MEDIUM", "HARD"])), int(rng.integers(6, 13)), 28.0
            else:
                compound, pushes, fuel = (
                    str(rng.choice(["SOFT", "MEDIUM"], p=[0.65, 0.35])),
                    int(rng.integers(1, 4)),
                    5.0,
                )
            if now + driver.estimate_s(pushes) * 1000 > session.end_ms:
                break
            end = driver.run(log, now, compound, pushes, fuel, delete_chance=0.02, reuse_set=bool(rng.random() < 0.4))
            now = end + int(rng.uniform(4, 12) * 60_000)
        logs.append(log)
    return SessionOutcome(session, logs, best_lap_results(session, logs), [(session.start_ms, session.end_ms, None)])


def best_lap_results(session: Session, logs: list[CarLog]) -> list[dict[str, Any]]:
    """Practice classification: best valid lap, gap to the fastest."""
    ranked = sorted(logs, key=lambda log: (log.best() is None, log.best() or 0, log.entry.number))
    fastest = ranked[0].best()
    rows = []
    for position, log in enumerate(ranked, start=1):
        best = log.best()
        rows.append(
            {
                "position": position if best is not None else None,
                "driver_number": log.entry.number,
                "number_of_laps": log.laps,
                "dnf": False,
                "dns": False,
                "dsq": False,
                "duration": best / 1000 if best is not None else None,
                "gap_to_leader": (best - fastest) / 1000 if best is not None and fastest is not None else None,
                "meeting_key": session.meeting_key,
                "session_key": session.session_key,
                "points": None,
            }
        )
    rows.sort(key=lambda row: row["driver_number"])
    return rows
