"""The season calendar: meetings and sessions with keys, UTC times and the meetings/sessions rows.

Rounds are weekly with a free weekend after every third round. Normal weekends run Practice 1-3,
Qualifying and Race; sprint weekends (every fourth round from round 2, when the season has 3+ rounds)
run Practice 1, Sprint Qualifying, Sprint, Qualifying and Race, named and typed as OpenF1 does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from openf1_replay.simulator.circuits import CIRCUITS, Circuit
from openf1_replay.simulator.timefmt import iso, offset_delta, to_ms

# (session_name, session_type, weekday (0 = Monday), local start time, scheduled minutes)
NORMAL_WEEKEND = (
    ("Practice 1", "Practice", 4, time(13, 30), 60),
    ("Practice 2", "Practice", 4, time(17, 0), 60),
    ("Practice 3", "Practice", 5, time(12, 30), 60),
    ("Qualifying", "Qualifying", 5, time(16, 0), 60),
    ("Race", "Race", 6, time(15, 0), 120),
)
SPRINT_WEEKEND = (
    ("Practice 1", "Practice", 4, time(12, 30), 60),
    ("Sprint Qualifying", "Qualifying", 4, time(16, 30), 44),
    ("Sprint", "Race", 5, time(12, 0), 60),
    ("Qualifying", "Qualifying", 5, time(16, 0), 60),
    ("Race", "Race", 6, time(15, 0), 120),
)


@dataclass(frozen=True)
class Session:
    session_key: int
    meeting_key: int
    round: int
    name: str
    type: str
    start_ms: int
    end_ms: int
    is_cancelled: bool

    @property
    def is_race(self) -> bool:
        """Race or Sprint: the sessions with laps raced wheel to wheel, intervals and points."""
        return self.type == "Race"

    @property
    def is_sprint(self) -> bool:
        return self.name in ("Sprint", "Sprint Qualifying")


@dataclass(frozen=True)
class Meeting:
    round: int
    meeting_key: int
    year: int
    circuit: Circuit
    is_sprint_weekend: bool
    is_cancelled: bool
    sessions: tuple[Session, ...]

    @property
    def name(self) -> str:
        return self.circuit.meeting_name

    def session(self, name: str) -> Session:
        return next(s for s in self.sessions if s.name == name)

    def _place(self) -> dict[str, Any]:
        c = self.circuit
        return {
            "location": c.location,
            "country_key": c.country_key,
            "country_code": c.country_code,
            "country_name": c.country_name,
            "circuit_key": c.circuit_key,
            "circuit_short_name": c.circuit_short_name,
        }

    def meeting_row(self) -> dict[str, Any]:
        c = self.circuit
        return {
            "meeting_key": self.meeting_key,
            "circuit_key": c.circuit_key,
            "circuit_short_name": c.circuit_short_name,
            "meeting_code": c.country_code,
            "location": c.location,
            "country_key": c.country_key,
            "country_code": c.country_code,
            "country_name": c.country_name,
            "meeting_name": c.meeting_name,
            "meeting_official_name": f"FORMULA 1 {c.meeting_name.upper()} {self.year}",
            "gmt_offset": c.gmt_offset,
            "date_start": iso(self.sessions[0].start_ms),
            "year": self.year,
            "date_end": iso(self.sessions[-1].end_ms),
            "circuit_type": c.circuit_type,
            "is_cancelled": self.is_cancelled,
        }

    def session_rows(self) -> list[dict[str, Any]]:
        place = self._place()
        return [
            {
                "meeting_key": self.meeting_key,
                "session_key": s.session_key,
                "location": place["location"],
                "date_start": iso(s.start_ms),
                "date_end": iso(s.end_ms),
                "session_type": s.type,
                "session_name": s.name,
                "country_key": place["country_key"],
                "country_code": place["country_code"],
                "country_name": place["country_name"],
                "circuit_key": place["circuit_key"],
                "circuit_short_name": place["circuit_short_name"],
                "gmt_offset": self.circuit.gmt_offset,
                "year": self.year,
                "is_cancelled": s.is_cancelled,
            }
            for s in self.sessions
        ]


def meeting_key(season: int, round_number: int) -> int:
    return 1500 + 30 * (season - 2023) + round_number


def is_sprint_round(round_number: int, rounds: int) -> bool:
    return rounds >= 3 and round_number % 4 == 2


def _first_race_sunday(season: int) -> date:
    day = date(season, 3, 2)
    return day + timedelta(days=(6 - day.weekday()) % 7)


def build_calendar(season: int, rounds: int, cancelled_round: int | None = None) -> list[Meeting]:
    meetings = []
    first_sunday = _first_race_sunday(season)
    for number in range(1, rounds + 1):
        circuit = CIRCUITS[number - 1]
        sunday = first_sunday + timedelta(weeks=(number - 1) + (number - 1) // 3)
        monday = sunday - timedelta(days=6)
        sprint = is_sprint_round(number, rounds)
        cancelled = number == cancelled_round
        key = meeting_key(season, number)
        sessions = []
        for index, (name, kind, weekday, local, minutes) in enumerate(SPRINT_WEEKEND if sprint else NORMAL_WEEKEND):
            local_start = datetime.combine(monday + timedelta(days=weekday), local, tzinfo=UTC)
            start = to_ms(local_start - offset_delta(circuit.gmt_offset))
            sessions.append(
                Session(
                    session_key=10_000 + 150 * (season - 2023) + 6 * (number - 1) + index + 1,
                    meeting_key=key,
                    round=number,
                    name=name,
                    type=kind,
                    start_ms=start,
                    end_ms=start + minutes * 60_000,
                    is_cancelled=cancelled,
                )
            )
        meetings.append(Meeting(number, key, season, circuit, sprint, cancelled, tuple(sessions)))
    return meetings
