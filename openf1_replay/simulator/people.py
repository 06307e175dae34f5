"""Teams, drivers and who sits in which car each round (all fictional people and teams).

Ten teams of two. When the season has 3+ rounds, two line-up changes happen on purpose, because OpenF1's
``driver_number`` is not a stable identity and the warehouse must cope:

* a permanent change: from round ``max(2, rounds // 2)`` a driver leaves and a rookie takes the seat;
* one round later, a reserve stands in for one weekend in another team wearing the departed driver's
  number, so that number changes hands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

TEAMS: tuple[tuple[str, str], ...] = (
    ("Aurora Racing", "2D7DD2"),
    ("Vanguard F1 Team", "E10600"),
    ("Meridian Motorsport", "00A19B"),
    ("Kestrel GP", "FF8700"),
    ("Nordlys Racing", "6C5CE7"),
    ("Solano F1", "F5C518"),
    ("Halcyon Racing", "1E3D59"),
    ("Tessera F1 Team", "B6BABD"),
    ("Orca Grand Prix", "0093cc"),
    ("Pyrite Racing", "52E252"),
)
# 20 race drivers, then the mid-season replacement, then the reserve
NAMES: tuple[tuple[str, str, str], ...] = (
    ("Luca", "Ferrandi", "ITA"),
    ("Mateo", "Alvarez", "ESP"),
    ("Oskar", "Lindqvist", "SWE"),
    ("Theo", "Marchand", "FRA"),
    ("Jonas", "Becker", "GER"),
    ("Rafael", "Cortez", "MEX"),
    ("Kenji", "Morita", "JPN"),
    ("Liam", "Whitaker", "GBR"),
    ("Noah", "Verhoeven", "NED"),
    ("Elias", "Koskinen", "FIN"),
    ("Arjun", "Mehta", "IND"),
    ("Felipe", "Rocha", "BRA"),
    ("Hugo", "Lacroix", "MON"),
    ("Tomas", "Novak", "CZE"),
    ("Ethan", "Brooks", "USA"),
    ("Jack", "Pemberton", "AUS"),
    ("Nikolai", "Petrov", "BUL"),
    ("Andrea", "Conti", "SUI"),
    ("Sebastian", "Kraus", "AUT"),
    ("Daniel", "Okafor", "CAN"),
    ("Marco", "Bellini", "ITA"),
    ("Callum", "Reid", "NZL"),
)


@dataclass(frozen=True)
class Driver:
    driver_id: str  # our own stable identity, e.g. 'LUCFER01' (OpenF1's numbers are not stable)
    first_name: str
    last_name: str
    acronym: str
    country_code: str
    pace_s: float  # seconds per lap relative to the field's average driver (lower is faster)
    has_headshot: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    @property
    def broadcast_name(self) -> str:
        return f"{self.first_name[0]} {self.last_name.upper()}"

    @property
    def headshot_url(self) -> str | None:
        if not self.has_headshot:
            return None
        folder = f"{self.driver_id}_{self.first_name}_{self.last_name}"
        return (
            "https://media.formula1.com/d_driver_fallback_image.png/content/dam/fom-website/drivers/"
            f"{self.first_name[0]}/{folder}/{self.driver_id.lower()}.png.transform/1col/image.png"
        )


@dataclass(frozen=True)
class Team:
    name: str
    colour: str
    car_pace_s: float  # seconds per lap relative to the average car (lower is faster)


@dataclass(frozen=True)
class Entry:
    """One car in one round: who drives it, for whom, with which number."""

    driver: Driver
    team: Team
    number: int

    @property
    def pace_s(self) -> float:
        return self.driver.pace_s + self.team.car_pace_s

    def label(self) -> str:
        """How race control names a car: 'CAR 4 (NOR)'."""
        return f"CAR {self.number} ({self.driver.acronym})"


@dataclass(frozen=True)
class LineupChange:
    round: int
    team: Team
    seat: int
    leaving: Driver
    joining: Driver
    number: int  # the number the joining driver uses
    permanent: bool


class Paddock:
    """Everyone in the season and the line-up of each round."""

    def __init__(self, rng: np.random.Generator, rounds: int) -> None:
        car_pace = rng.permutation(np.linspace(-0.9, 0.9, len(TEAMS)) + rng.normal(0, 0.05, len(TEAMS)))
        self.teams = [Team(name, colour, round(float(p), 3)) for (name, colour), p in zip(TEAMS, car_pace, strict=True)]
        driver_pace = rng.normal(0.0, 0.2, len(NAMES))
        self.drivers = [
            Driver(
                driver_id=f"{first[:3]}{last[:3]}01".upper(),
                first_name=first,
                last_name=last,
                acronym=last[:3].upper(),
                country_code=country,
                pace_s=round(float(pace), 3),
                has_headshot=index != 20,  # the rookie has no headshot yet, as in real data
            )
            for index, ((first, last, country), pace) in enumerate(zip(NAMES, driver_pace, strict=True))
        ]
        pool = np.array([n for n in range(2, 100) if n != 17])
        numbers = [int(n) for n in rng.choice(pool, size=len(NAMES), replace=False)]
        self.seats: list[list[tuple[Driver, int]]] = [
            [(self.drivers[2 * t], numbers[2 * t]), (self.drivers[2 * t + 1], numbers[2 * t + 1])]
            for t in range(len(TEAMS))
        ]
        self.changes: list[LineupChange] = []
        if rounds >= 3:
            change_round = max(2, rounds // 2)
            team_index, seat = int(rng.integers(len(TEAMS))), int(rng.integers(2))
            leaving, old_number = self.seats[team_index][seat]
            self.changes.append(
                LineupChange(change_round, self.teams[team_index], seat, leaving, self.drivers[20], numbers[20], True)
            )
            other = int(rng.choice([t for t in range(len(TEAMS)) if t != team_index]))
            other_seat = int(rng.integers(2))
            self.changes.append(
                LineupChange(
                    change_round + 1,
                    self.teams[other],
                    other_seat,
                    self.seats[other][other_seat][0],
                    self.drivers[21],
                    old_number,  # the departed driver's number, now on another car
                    False,
                )
            )

    def lineup(self, round_number: int) -> list[Entry]:
        """The 20 cars of a round, in team order."""
        entries = []
        for team_index, team in enumerate(self.teams):
            for seat, (driver, number) in enumerate(self.seats[team_index]):
                for change in self.changes:
                    applies = round_number >= change.round if change.permanent else round_number == change.round
                    if applies and change.team == team and change.seat == seat:
                        driver, number = change.joining, change.number
                entries.append(Entry(driver, team, number))
        return entries

    def truth(self) -> dict[str, Any]:
        return {
            "teams": [{"team_name": t.name, "car_pace_s": t.car_pace_s} for t in self.teams],
            "lineup_changes": [
                {
                    "round": c.round,
                    "team_name": c.team.name,
                    "leaving_driver_id": c.leaving.driver_id,
                    "joining_driver_id": c.joining.driver_id,
                    "driver_number": c.number,
                    "permanent": c.permanent,
                }
                for c in self.changes
            ],
        }


def driver_row(entry: Entry, meeting_key: int, session_key: int, season: int) -> dict[str, Any]:
    """A ``drivers`` record, field order as OpenF1 returns it (country_code is null from 2025 on)."""
    d = entry.driver
    return {
        "meeting_key": meeting_key,
        "session_key": session_key,
        "driver_number": entry.number,
        "broadcast_name": d.broadcast_name,
        "full_name": d.full_name,
        "name_acronym": d.acronym,
        "team_name": entry.team.name,
        "team_colour": entry.team.colour,
        "first_name": d.first_name,
        "last_name": d.last_name,
        "headshot_url": d.headshot_url,
        "country_code": d.country_code if season < 2025 else None,
    }
