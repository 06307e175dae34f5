"""Points rules and the championships (drivers' and teams') as they stand after each race or sprint.

Rules (OPENF1.md): Grand Prix 25-18-15-12-10-8-6-4-2-1; sprint 8-7-6-5-4-3-2-1; +1 for the fastest lap to a
top-ten Grand Prix finisher for seasons up to 2024, none from 2025. Ties in the standings break on countback
(most Grand Prix wins, then second places, ...), then on the driver id / team name so the order is total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from openf1_replay.simulator.people import Entry

RACE_POINTS = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
SPRINT_POINTS = (8, 7, 6, 5, 4, 3, 2, 1)


def position_points(season: int, session_name: str, position: int | None) -> float:
    table = SPRINT_POINTS if session_name == "Sprint" else RACE_POINTS
    if position is None or position > len(table):
        return 0.0
    return float(table[position - 1])


def fastest_lap_bonus(season: int, session_name: str, position: int | None) -> float:
    if session_name != "Race" or season >= 2025 or position is None or position > 10:
        return 0.0
    return 1.0


@dataclass
class _Standing:
    points: float = 0.0
    finishes: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # GP position -> count

    def key(self, name: str) -> tuple[Any, ...]:
        countback = tuple(-self.finishes.get(p, 0) for p in range(1, 21))
        return (-self.points, countback, name)


class Championship:
    """Accumulates session points per driver identity and per team."""

    def __init__(self) -> None:
        self.drivers: dict[str, _Standing] = {}
        self.teams: dict[str, _Standing] = {}

    @staticmethod
    def _ranks(table: dict[str, _Standing]) -> dict[str, int]:
        order = sorted(table, key=lambda name: table[name].key(name))
        return {name: rank for rank, name in enumerate(order, start=1)}

    def record(
        self,
        meeting_key: int,
        session_key: int,
        session_name: str,
        lineup: list[Entry],
        results: dict[str, tuple[int | None, float]],
        team_names: list[str],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Add one session's results (driver_id -> (position, points)); return the two championship tables.

        ``championship_drivers`` lists the cars of this session (so (session_key, driver_number) is unique even
        when a number has changed hands); positions rank everyone who has taken part this season.
        """
        before_drivers = {k: v.points for k, v in self.drivers.items()}
        before_teams = {k: v.points for k, v in self.teams.items()}
        rank_drivers_before = self._ranks(self.drivers) if self.drivers else {}
        rank_teams_before = self._ranks(self.teams) if self.teams else {}
        for name in team_names:
            self.teams.setdefault(name, _Standing())
        for entry in lineup:
            standing = self.drivers.setdefault(entry.driver.driver_id, _Standing())
            position, points = results.get(entry.driver.driver_id, (None, 0.0))
            standing.points += points
            team = self.teams[entry.team.name]
            team.points += points
            if session_name == "Race" and position is not None:
                standing.finishes[position] += 1
                team.finishes[position] += 1
        rank_drivers, rank_teams = self._ranks(self.drivers), self._ranks(self.teams)
        driver_rows = [
            {
                "meeting_key": meeting_key,
                "session_key": session_key,
                "driver_number": entry.number,
                "position_start": rank_drivers_before.get(entry.driver.driver_id),
                "position_current": rank_drivers[entry.driver.driver_id],
                "points_start": before_drivers.get(entry.driver.driver_id, 0.0),
                "points_current": self.drivers[entry.driver.driver_id].points,
            }
            for entry in sorted(lineup, key=lambda e: e.number)
        ]
        team_rows = [
            {
                "meeting_key": meeting_key,
                "session_key": session_key,
                "team_name": name,
                "position_start": rank_teams_before.get(name),
                "position_current": rank_teams[name],
                "points_start": before_teams.get(name, 0.0),
                "points_current": self.teams[name].points,
            }
            for name in team_names
        ]
        return driver_rows, team_rows
