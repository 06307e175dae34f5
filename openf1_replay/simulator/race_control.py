"""Race control messages (flags, safety cars, DRS, incidents, penalties) consistent with what happened.

Categories, flags and scopes follow OPENF1.md; dates are whole seconds as in real data; ``lap_number`` is
the leader's lap in races and null in practice and qualifying.

One quirk of the real API on purpose: as a safety car or VSC is deployed, race control sometimes lifts a
sector's flag in the same second, so two messages share a ``date`` (Canada 2024, session 9531, 19:23:59:
'SAFETY CAR DEPLOYED' and 'CLEAR IN TRACK SECTOR 10'; about one deployment in ten in 2024, and most red
flags). Ordering by ``date`` alone cannot say which came first; the simulator writes the pair in either order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from openf1_replay.simulator.calendar import Session
from openf1_replay.simulator.circuits import Circuit
from openf1_replay.simulator.people import Entry
from openf1_replay.simulator.race import RaceOutcome
from openf1_replay.simulator.results import Classification
from openf1_replay.simulator.timefmt import iso_seconds, offset_delta
from openf1_replay.simulator.track import Track


def message(
    session: Session,
    ms: int,
    category: str,
    text: str,
    *,
    flag: str | None = None,
    scope: str | None = None,
    sector: int | None = None,
    driver_number: int | None = None,
    lap_number: int | None = None,
) -> dict[str, Any]:
    return {
        "meeting_key": session.meeting_key,
        "session_key": session.session_key,
        "date": iso_seconds(ms),
        "driver_number": driver_number,
        "lap_number": lap_number,
        "category": category,
        "flag": flag,
        "scope": scope,
        "sector": sector,
        "message": text,
    }


def local_clock(ms: int, circuit: Circuit) -> str:
    """hh:mm:ss local time, as race control prints it."""
    seconds = (ms // 1000 + int(offset_delta(circuit.gmt_offset).total_seconds())) % 86400
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def lap_clock(ms: int) -> str:
    """1:30.661 style lap time."""
    return f"{ms // 60000}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


def _stop_position(track: Track, fraction: float) -> float:
    return float(np.interp(fraction * track.lap_time, track.tau, np.append(track.s, track.length_m)))


def _sector(track: Track, distance_m: float) -> int:
    return 1 + int(distance_m / track.length_m * track.marshal_sectors) % track.marshal_sectors


# More often than real OpenF1 (about 1 in 10 SC/VSC deployments in 2024) so that a small sample carries it.
TIED_CLEAR_PROBABILITY = 0.5


def _tie_sector_clears(
    out: list[dict[str, Any]],
    deployments: list[tuple[dict[str, Any], int]],
    track: Track,
    rng: np.random.Generator,
) -> None:
    """Sometimes a 'CLEAR IN TRACK SECTOR n' with exactly the deployment's ``date``, before or after it.

    ``deployments`` are (deployment message, incident sector); the cleared sector is the one before the
    incident's, as in Canada 2024 a sector other than the incident's was cleared. Called after every other
    draw of ``rng`` so that the rest of the race's messages are what they were without the quirk.
    """
    for deployment, sector in deployments:
        if rng.random() >= TIED_CLEAR_PROBABILITY:
            continue
        cleared = (sector - 2) % track.marshal_sectors + 1
        clear = {
            **deployment,
            "category": "Flag",
            "flag": "CLEAR",
            "scope": "Sector",
            "sector": cleared,
            "message": f"CLEAR IN TRACK SECTOR {cleared}",
        }
        index = next(i for i, row in enumerate(out) if row is deployment)
        # the sort by date below is stable: where the pair sits here is the order it is written in
        out.insert(index + int(rng.integers(0, 2)), clear)


def race_messages(
    outcome: RaceOutcome,
    track: Track,
    circuit: Circuit,
    classification: Classification,
    lapped: list[tuple[int, int]],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    s, out = outcome.session, []
    cars = outcome.cars

    def add(ms: int, category: str, text: str, **kw: Any) -> dict[str, Any]:
        out.append(message(s, ms, category, text, lap_number=outcome.leader_lap_at(ms), **kw))
        return out[-1]

    deployments: list[tuple[dict[str, Any], int]] = []  # (deployment message, incident sector)

    start = s.start_ms
    rain_risk = 70 + int(rng.integers(0, 30)) if outcome.plan.wet else int(rng.choice([0, 0, 10, 20]))
    add(start - 40 * 60_000, "Flag", "GREEN LIGHT - PIT EXIT OPEN", flag="GREEN", scope="Track")
    add(start - 30 * 60_000, "Other", "PIT EXIT CLOSED")
    add(start - 15 * 60_000 + int(rng.integers(0, 60_000)), "Other", f"RISK OF RAIN FOR F1 RACE IS {rain_risk}%")
    add(start - 3 * 60_000, "Drs", "DRS DISABLED")
    add(start + 25_000, "Flag", "GREEN LIGHT - PIT EXIT OPEN", flag="GREEN", scope="Track")

    period_starts = {p.start_lap + 1: p for p in outcome.periods}
    allowed = outcome.drs_allowed
    for lap in range(2, outcome.n_laps + 1):
        if allowed[lap] and not allowed[lap - 1]:
            add(outcome.leader_lap_start_ms(lap) + 2000, "Drs", "DRS ENABLED")
        elif allowed[lap - 1] and not allowed[lap] and lap not in period_starts:
            add(outcome.leader_lap_start_ms(lap) + 2000, "Drs", "DRS DISABLED")

    for car in cars:
        if car.retirement is None or car.stop_ms is None:
            continue
        where = _stop_position(track, car.retirement.fraction)
        sector, turn = _sector(track, where), track.turn_at(where)
        number = car.entry.number
        add(car.stop_ms + 3000, "CarEvent", f"{car.entry.label()} STOPPED AT TURN {turn}", driver_number=number)
        add(
            car.stop_ms + 1000, "Flag", f"YELLOW IN TRACK SECTOR {sector}", flag="YELLOW", scope="Sector", sector=sector
        )
        period = next((p for p in outcome.periods if cars[p.car] is car), None)
        if car.retirement.cause in ("ACCIDENT", "COLLISION DAMAGE", "SPUN OFF"):
            add(
                car.stop_ms + 6000,
                "Flag",
                f"DOUBLE YELLOW IN TRACK SECTOR {sector}",
                flag="DOUBLE YELLOW",
                scope="Sector",
                sector=sector,
            )
        clear_ms = car.stop_ms + 90_000
        if period is not None:
            deploy = outcome.lights_out_ms + int(period.deploy_s * 1000)
            last_lap_start = outcome.leader_lap_start_ms(period.end_lap)
            restart = outcome.leader_lap_start_ms(period.end_lap + 1)
            if period.kind == "SC":
                deployments.append((add(deploy, "SafetyCar", "SAFETY CAR DEPLOYED"), sector))
                add(deploy + 1000, "Drs", "DRS DISABLED")
                add(last_lap_start + 15_000, "SafetyCar", "SAFETY CAR IN THIS LAP")
                add(restart, "Flag", "TRACK CLEAR", flag="CLEAR", scope="Track")
            else:
                deployments.append((add(deploy, "SafetyCar", "VIRTUAL SAFETY CAR DEPLOYED"), sector))
                add(deploy + 1000, "Drs", "DRS DISABLED")
                ending = last_lap_start + int(0.6 * (restart - last_lap_start))
                add(ending, "SafetyCar", "VIRTUAL SAFETY CAR ENDING")
                add(ending + 10_000, "Flag", "TRACK CLEAR", flag="CLEAR", scope="Track")
            clear_ms = max(clear_ms, restart - 20_000)
        add(clear_ms, "Flag", f"CLEAR IN TRACK SECTOR {sector}", flag="CLEAR", scope="Sector", sector=sector)

    for car_index, lap, _ in outcome.plan.track_limits:
        car = cars[car_index]
        if lap >= car.laps_completed or lap < 2 or car.neutral[lap - 1] or car.kind[lap - 1]:
            continue  # only green-flag racing laps get deleted
        end_ms = int(car.lap_start_ms[lap - 1] + car.lap_ms[lap - 1])
        turn = int(rng.integers(1, max(2, len(track.corners_m)) + 1))
        add(
            end_ms + int(rng.integers(20_000, 120_000)),
            "Other",
            f"{car.entry.label()} TIME {lap_clock(int(car.lap_ms[lap - 1]))} DELETED - TRACK LIMITS AT TURN {turn} "
            f"LAP {lap} {local_clock(end_ms, circuit)}",
        )

    if classification.penalised is not None:
        car_index, lap, reason = outcome.plan.penalty  # type: ignore[misc]
        label = cars[car_index].entry.label()
        issued = outcome.leader_lap_start_ms(lap) + int(rng.integers(5_000, 60_000))
        add(issued - 150_000, "Other", f"INCIDENT INVOLVING {label} NOTED - {reason}")
        add(issued, "Other", f"FIA STEWARDS: 5 SECOND TIME PENALTY FOR {label} - {reason}")

    for ms, car_index in lapped[:15]:
        car = cars[car_index]
        add(
            ms - 3000,
            "Flag",
            f"WAVED BLUE FLAG FOR {car.entry.label()} TIMED AT {local_clock(ms - 3000, circuit)}",
            flag="BLUE",
            scope="Driver",
            driver_number=car.entry.number,
        )

    add(outcome.chequered_ms, "Flag", "CHEQUERED FLAG", flag="CHEQUERED", scope="Track")
    if classification.disqualified is not None:
        label = cars[classification.disqualified].entry.label()
        add(
            outcome.chequered_ms + 50 * 60_000,
            "Other",
            f"FIA STEWARDS: {label} DISQUALIFIED - TECHNICAL INFRINGEMENT (PLANK WEAR)",
        )
    _tie_sector_clears(out, deployments, track, rng)
    out.sort(key=lambda row: row["date"])
    return out


def session_messages(
    session: Session,
    phases: list[tuple[int, int, str | None]],
    deletions: list[tuple[Entry, int, int, int]],
    circuit: Circuit,
    track: Track,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Practice and qualifying: green light and chequered flag per phase, a yellow, deleted lap times.

    ``phases`` are (start_ms, end_ms, name); ``deletions`` are (entry, lap_number, lap_ms, lap_end_ms).
    """
    out = []
    for start, end, _ in phases:
        out.append(message(session, start, "Flag", "GREEN LIGHT - PIT EXIT OPEN", flag="GREEN", scope="Track"))
        out.append(message(session, end, "Flag", "CHEQUERED FLAG", flag="CHEQUERED", scope="Track"))
    first_start, first_end, _ = phases[0]
    yellow_at = first_start + int(rng.uniform(0.2, 0.7) * (first_end - first_start))
    sector = int(rng.integers(1, track.marshal_sectors + 1))
    out.append(
        message(
            session, yellow_at, "Flag", f"YELLOW IN TRACK SECTOR {sector}", flag="YELLOW", scope="Sector", sector=sector
        )
    )
    out.append(
        message(
            session,
            yellow_at + int(rng.integers(15_000, 60_000)),
            "Flag",
            f"CLEAR IN TRACK SECTOR {sector}",
            flag="CLEAR",
            scope="Sector",
            sector=sector,
        )
    )
    for entry, lap, lap_ms, end_ms in deletions:
        turn = int(rng.integers(1, max(2, len(track.corners_m)) + 1))
        out.append(
            message(
                session,
                end_ms + int(rng.integers(10_000, 60_000)),
                "Other",
                f"{entry.label()} TIME {lap_clock(lap_ms)} DELETED - TRACK LIMITS AT TURN {turn} LAP {lap} "
                f"{local_clock(end_ms, circuit)}",
            )
        )
    out.sort(key=lambda row: row["date"])
    return out
