"""What will happen in a race before it is run: tyre strategies and incidents.

A plan is drawn up front from the race's own random stream; ``race.py`` then runs the laps. Safety cars and
VSCs are tied to retirements (the stopped car is why the race is neutralised); their exact laps are
resolved while running, because they depend on when the car stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from openf1_replay.simulator.model import DRY_COMPOUNDS

TYRE_LIFE = {"SOFT": 1.0, "MEDIUM": 1.45, "HARD": 2.0}
CRASH_CAUSES = ("ACCIDENT", "COLLISION DAMAGE", "SPUN OFF")
FAILURE_CAUSES = ("POWER UNIT", "HYDRAULICS", "GEARBOX", "BRAKES")


@dataclass
class Strategy:
    """Tyre stints: stint k runs on ``compounds[k]`` from the lap after ``ends[k - 1]`` to ``ends[k]``."""

    compounds: list[str]
    ends: list[int]  # in-lap of each stint; the last entry is the race distance
    ages: list[int]  # tyre age at the start of each stint

    def starts(self) -> list[int]:
        return [1] + [end + 1 for end in self.ends[:-1]]

    def in_laps(self) -> list[int]:
        return self.ends[:-1]

    def copy(self) -> Strategy:
        return Strategy(list(self.compounds), list(self.ends), list(self.ages))

    def drop_stops_from(self, lap: int) -> None:
        """Cancel every stop whose in-lap is ``lap`` or later (the current stint runs to the end)."""
        while len(self.ends) > 1 and self.ends[-2] >= lap:
            last = self.ends[-1]
            del self.compounds[-1], self.ends[-1], self.ages[-1]
            self.ends[-1] = last


@dataclass
class Retirement:
    car: int  # grid index
    lap: int  # the lap during which the car stops (laps completed = lap - 1)
    cause: str
    fraction: float  # how far into that lap (in time) it stops
    neutralise: str | None  # 'SC', 'VSC' or None
    delay_s: float  # from the stop to the deployment
    length: int  # neutralised laps after the deployment lap


@dataclass
class RacePlan:
    strategies: list[Strategy]
    retirements: list[Retirement]
    dns: set[int] = field(default_factory=set)
    wet: tuple[int, int, float] | None = None  # leader laps (rain starts, rain ends) and peak wetness
    penalty: tuple[int, int, str] | None = None  # (car, lap issued, reason) for a 5 s time penalty
    disqualify: bool = False
    track_limits: list[tuple[int, int, int]] = field(default_factory=list)  # (car, lap, turn)


def wetness_by_lap(plan: RacePlan, n_laps: int) -> np.ndarray:
    """Track wetness (0 dry .. 1 soaked) for laps 1..n_laps (index 0 unused)."""
    wet = np.zeros(n_laps + 2)
    if plan.wet is None:
        return wet
    start, end, peak = plan.wet
    for lap in range(start, min(end + 2, n_laps) + 1):
        if lap == start:
            level = 0.3
        elif lap == start + 1:
            level = 0.7
        elif lap <= end - 2:
            level = 1.0
        elif lap == end - 1:
            level = 0.6
        elif lap == end:
            level = 0.3
        else:
            level = 0.12
        wet[lap] = peak * level
    return wet


def _dry_strategy(rng: np.random.Generator, n_laps: int, grid: int) -> Strategy:
    stops = int(rng.choice([1, 2, 3], p=[0.55, 0.38, 0.07]))
    if grid <= 10:
        first = str(rng.choice(["MEDIUM", "SOFT"], p=[0.7, 0.3]))
    else:
        first = str(rng.choice(["HARD", "MEDIUM", "SOFT"], p=[0.35, 0.45, 0.2]))
    compounds = [first]
    for _ in range(stops):
        options = [c for c in DRY_COMPOUNDS if c != compounds[-1]]
        weights = np.array([TYRE_LIFE[c] for c in options])
        compounds.append(str(rng.choice(options, p=weights / weights.sum())))
    if len(set(compounds)) < 2:  # the two-compound rule of a dry race
        compounds[-1] = "HARD" if compounds[0] != "HARD" else "MEDIUM"
    weights = np.array([TYRE_LIFE[c] for c in compounds]) * rng.uniform(0.85, 1.15, len(compounds))
    ends = [int(e) for e in np.round(np.cumsum(n_laps * weights / weights.sum())[:-1])]
    for i in range(len(ends)):  # stints of 4+ laps, the last stop 3+ laps before the flag
        lowest = (ends[i - 1] if i else 0) + 4
        highest = n_laps - 3 - 4 * (len(ends) - 1 - i)
        ends[i] = min(max(ends[i], lowest), highest)
    ages = [int(rng.choice([0, 3], p=[0.4, 0.6])) if grid <= 10 else 0]
    ages += [int(rng.choice([0, 0, 0, 2, 3])) for _ in compounds[1:]]
    return Strategy(compounds, [int(e) for e in ends] + [n_laps], ages)


def _wet_strategy(rng: np.random.Generator, dry: Strategy, n_laps: int, rain: tuple[int, int]) -> Strategy:
    start, end = rain
    to_inters = min(start + int(rng.integers(0, 3)), n_laps - 4)
    to_slicks = min(max(end + int(rng.integers(0, 3)), to_inters + 2), n_laps - 2)
    plan = dry.copy()
    plan.drop_stops_from(to_inters - 2)
    plan.ends[-1] = to_inters
    remaining = n_laps - to_slicks
    final = "SOFT" if remaining < 0.35 * n_laps else str(rng.choice(["MEDIUM", "HARD"]))
    plan.compounds += ["INTERMEDIATE", final]
    plan.ends += [to_slicks, n_laps]
    plan.ages += [0, 0]
    return plan


def plan_race(
    rng: np.random.Generator,
    n_cars: int,
    n_laps: int,
    *,
    is_sprint: bool,
    force_neutralisations: bool,
    dns: bool,
    wet: bool,
    penalty: bool,
    disqualify: bool,
) -> RacePlan:
    cars = np.arange(n_cars)
    dns_cars = {int(rng.integers(4, n_cars))} if dns else set()
    if is_sprint:
        strategies = [
            Strategy([str(rng.choice(["MEDIUM", "SOFT"], p=[0.75, 0.25]))], [n_laps], [int(rng.choice([0, 2, 3]))])
            for _ in cars
        ]
    else:
        strategies = [_dry_strategy(rng, n_laps, grid + 1) for grid in cars]
    rain = None
    if wet:
        start = int(rng.integers(int(0.25 * n_laps), int(0.45 * n_laps)))
        end = min(start + int(rng.integers(int(0.2 * n_laps), int(0.35 * n_laps))), n_laps - 6)
        rain = (start, end, round(float(rng.uniform(0.55, 0.85)), 3))
        strategies = [_wet_strategy(rng, s, n_laps, (start, end)) for s in strategies]

    count = (
        int(rng.choice([0, 1], p=[0.7, 0.3])) if is_sprint else int(rng.choice([0, 1, 2, 3], p=[0.2, 0.35, 0.3, 0.15]))
    )
    count = max(count, 2 if force_neutralisations else 0)
    runners = [int(c) for c in cars if int(c) not in dns_cars]
    chosen = [int(c) for c in rng.choice(runners, size=count, replace=False)]
    retirements = []
    for index, car in enumerate(chosen):
        crash = bool(rng.random() < 0.55)
        lap = int(rng.integers(2, max(3, n_laps - 2)))
        if force_neutralisations and index < 2:  # a safety car early, a VSC late: far enough apart to both happen
            crash = index == 0
            low, high = (0.1, 0.35) if crash else (0.55, 0.75)
            lap = int(rng.integers(max(3, int(low * n_laps)), max(4, int(high * n_laps))))
            neutralise: str | None = "SC" if crash else "VSC"
        elif crash:
            neutralise = str(rng.choice(["SC", "VSC", "none"], p=[0.5, 0.2, 0.3]))
        else:
            neutralise = str(rng.choice(["VSC", "none"], p=[0.3, 0.7]))
        if force_neutralisations and index >= 2:
            neutralise = "none"  # nothing may get in the way of the scripted two
        retirements.append(
            Retirement(
                car=car,
                lap=lap,
                cause=str(rng.choice(CRASH_CAUSES if crash else FAILURE_CAUSES)),
                fraction=float(rng.uniform(0.2, 0.8)),
                neutralise=None if neutralise == "none" else neutralise,
                delay_s=float(rng.uniform(8, 25)),
                length=int(rng.integers(3, 6)) if neutralise == "SC" else int(rng.integers(1, 3)),
            )
        )
        strategies[car].drop_stops_from(lap - 1)  # no stop right before retiring
    offender = int(rng.choice(runners))
    return RacePlan(
        strategies=strategies,
        retirements=sorted(retirements, key=lambda r: r.lap),
        dns=dns_cars,
        wet=rain,
        penalty=(
            offender,
            int(rng.integers(3, n_laps - 3)),
            str(rng.choice(["CAUSING A COLLISION", "TRACK LIMITS", "SPEEDING IN THE PIT LANE"])),
        )
        if penalty
        else None,
        disqualify=disqualify,
        track_limits=[
            (int(rng.choice(runners)), int(rng.integers(2, n_laps)), 0)
            for _ in range(int(rng.integers(1, 4 if is_sprint else 7)))
        ],
    )
