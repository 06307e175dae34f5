"""Race and sprint classification: session_result rows, points, and what the championship needs.

Classified: every finisher, and every retirement that completed at least 90% of the winner's laps. Order:
more laps first, then less total time (time penalties included). The season's disqualification is written
the way real OpenF1 data shows one: position null, points 0 and ``dsq`` false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from openf1_replay.simulator.points import fastest_lap_bonus, position_points
from openf1_replay.simulator.race import CarRace, RaceOutcome

PENALTY_S = 5.0


@dataclass
class Classification:
    rows: list[dict[str, Any]]
    positions: dict[int, int | None]  # grid index -> position
    points: dict[int, float]
    fastest_lap: tuple[int, int, int] | None  # (grid index, lap number, ms)
    disqualified: int | None
    penalised: int | None


def laps_text(laps: int) -> str:
    return f"+{laps} LAP" if laps == 1 else f"+{laps} LAPS"


def _fastest_lap(cars: list[CarRace]) -> tuple[int, int, int] | None:
    best = None
    for c, car in enumerate(cars):
        if car.laps_completed < 2:
            continue
        i = int(np.argmin(car.lap_ms[1:])) + 1
        if best is None or car.lap_ms[i] < best[2]:
            best = (c, i + 1, int(car.lap_ms[i]))
    return best


def classify(outcome: RaceOutcome, season: int, rng: np.random.Generator) -> Classification:
    session, cars, plan = outcome.session, outcome.cars, outcome.plan
    penalised = None
    if plan.penalty is not None:
        car, lap, _ = plan.penalty
        if not cars[car].dns and cars[car].laps_completed >= lap:
            penalised = car

    def total_ms(c: int) -> int:
        car = cars[c]
        return int(car.lap_ms.sum()) + (int(PENALTY_S * 1000) if c == penalised else 0)

    winner_laps = outcome.n_laps
    classified = [
        c for c, car in enumerate(cars) if not car.dns and (car.finished or car.laps_completed >= 0.9 * winner_laps)
    ]
    order = sorted(classified, key=lambda c: (-cars[c].laps_completed, total_ms(c), c))
    fastest = _fastest_lap(cars)
    disqualified = None
    if plan.disqualify:
        candidates = [c for c in order[1:10] if cars[c].finished and (fastest is None or c != fastest[0])]
        if candidates:
            disqualified = int(rng.choice(candidates))
            order.remove(disqualified)
    positions: dict[int, int | None] = {c: None for c in range(len(cars))}
    positions.update({c: rank for rank, c in enumerate(order, start=1)})
    points = {}
    for c in range(len(cars)):
        pts = position_points(season, session.name, positions[c])
        if fastest is not None and fastest[0] == c:
            pts += fastest_lap_bonus(season, session.name, positions[c])
        points[c] = pts

    winner_total = total_ms(order[0])
    rows = []
    for c, car in enumerate(cars):
        laps = car.laps_completed
        duration: float | None = None
        gap: float | str | None = None
        if c != disqualified and car.finished and positions[c] is not None:
            if laps == winner_laps:
                duration = total_ms(c) / 1000
                gap = (total_ms(c) - winner_total) / 1000
            else:
                gap = laps_text(winner_laps - laps)
        rows.append(
            {
                "position": positions[c],
                "driver_number": car.entry.number,
                "number_of_laps": laps,
                "dnf": not car.dns and not car.finished,
                "dns": car.dns,
                "dsq": False,  # real OpenF1 leaves dsq false for a disqualification; position is null instead
                "duration": duration,
                "gap_to_leader": gap,
                "meeting_key": session.meeting_key,
                "session_key": session.session_key,
                "points": points[c],
            }
        )
    rows.sort(key=lambda row: row["driver_number"])
    return Classification(rows, positions, points, fastest, disqualified, penalised)
