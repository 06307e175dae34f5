"""Race time of a tyre strategy under the simulator's truth model, and the truly best strategy of a race.

Pure functions over a truth file's JSON (``<OUT>.truth.json``, read with ``json.load``): nothing is simulated
again, so they answer for any season the simulator wrote. They are what the strategy engine's answers are
checked against (tests/models/test_strategy_optimal_truth.py).

The truth model of a car's race, noise-free and with every lap green (no safety car, VSC or rain)::

    race_time = sum over laps l = 1..N of
                    base_lap_time_s + total_pace_s + compound_offset_s[c_l]
                    + compound_degradation_s_per_lap[c_l] * age_l + fuel_effect_s_per_lap * (N - l + 1)
              + standing_start_s + grid_slot_s * (grid - 1)       # lap 1 from the grid
              + pit_loss_s * stops                                 # the round's green-flag loss, nominal stop

with new tyres on every stint (``age_l`` = 0 on a stint's first lap, +1 per lap). The fuel term, the base lap
and the car's pace do not depend on the strategy; a stint's cost depends only on its compound and its length
(new tyres), so a race time is a constant plus a sum of stint costs plus the stops' losses.

Strategy strings name each stint by its compound's initial and its first and last lap: ``"M:1-18,H:19-57"``
(S, M, H; I and W for the wet compounds). Every input is rounded to the microsecond and summed in integer
microseconds, so equal race times are exactly equal whatever the order of the sums (the tie-break below
relies on it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from openf1_replay.simulator.model import COMPOUND_INITIALS, DRY_COMPOUNDS

US_PER_S = 1_000_000
COMPOUND_BY_INITIAL = {initial: compound for compound, initial in COMPOUND_INITIALS.items()}
DRY_RANK = {compound: rank for rank, compound in enumerate(DRY_COMPOUNDS)}  # tie-break order: SOFT < MEDIUM < HARD
_STINT = re.compile(r"([A-Za-z]+):(\d+)-(\d+)")


class StrategyError(ValueError):
    """A strategy string, a round or a driver the truth file cannot answer for (the message is one line)."""


@dataclass(frozen=True)
class Stint:
    """One stint of a strategy: a compound (SOFT, MEDIUM, ...) from ``first_lap`` to ``last_lap`` inclusive."""

    compound: str
    first_lap: int
    last_lap: int

    @property
    def laps(self) -> int:
        return self.last_lap - self.first_lap + 1


Strategy = tuple[Stint, ...]


# ---- the strategy string ---------------------------------------------------------------------------------


def parse_strategy(text: str, race_laps: int | None = None) -> Strategy:
    """``"M:1-18,H:19-57"`` -> its stints; checked: known compound initials, lap ranges first <= last, stints
    contiguous from lap 1, and (given ``race_laps``) ending at the race distance.

    Raises StrategyError with a one-line message naming the problem and the expected form.
    """
    form = 'write it as "M:1-18,H:19-57" (S/M/H/I/W: first-last lap of each stint)'
    if not isinstance(text, str) or not text.strip():
        raise StrategyError(f"strategy {text!r} is empty: {form}")
    stints: list[Stint] = []
    for part in text.split(","):
        match = _STINT.fullmatch(part.strip())
        if match is None:
            raise StrategyError(f"strategy {text!r}: stint {part.strip()!r} is not compound:first-last; {form}")
        initial, first, last = match.group(1).upper(), int(match.group(2)), int(match.group(3))
        if initial not in COMPOUND_BY_INITIAL:
            known = ", ".join(f"{i}={c}" for c, i in COMPOUND_INITIALS.items())
            raise StrategyError(f"strategy {text!r}: unknown compound {match.group(1)!r}; use one of {known}")
        if last < first:
            raise StrategyError(f"strategy {text!r}: stint {part.strip()!r} ends before it starts; {form}")
        expected = stints[-1].last_lap + 1 if stints else 1
        if first != expected:
            where = "the first stint must start on lap 1" if not stints else f"the stint after lap {expected - 1}"
            raise StrategyError(
                f"strategy {text!r}: stint {part.strip()!r} starts on lap {first} but {where}"
                f"{'' if not stints else f' must start on lap {expected}'}; stints must be contiguous"
            )
        stints.append(Stint(COMPOUND_BY_INITIAL[initial], first, last))
    if race_laps is not None and stints[-1].last_lap != race_laps:
        raise StrategyError(
            f"strategy {text!r} ends on lap {stints[-1].last_lap} but the race is {race_laps} laps: "
            f"end the last stint on lap {race_laps}"
        )
    return tuple(stints)


def format_strategy(stints: Strategy | list[Stint]) -> str:
    """Stints -> ``"M:1-18,H:19-57"`` (the inverse of ``parse_strategy``)."""
    return ",".join(f"{COMPOUND_INITIALS[s.compound]}:{s.first_lap}-{s.last_lap}" for s in stints)


def check_search_space(stints: Strategy, race_laps: int, min_stint_laps: int = 5, max_stops: int = 3) -> None:
    """Raise StrategyError unless ``stints`` is in the strategy search space: dry compounds only, 1 to
    ``max_stops`` stops, every stint at least ``min_stint_laps`` laps, at least two distinct compounds, the
    whole race distance covered (the shared vocabulary of issue 18)."""
    text = format_strategy(stints)
    if stints[0].first_lap != 1 or stints[-1].last_lap != race_laps:
        raise StrategyError(f"strategy {text!r} does not cover laps 1-{race_laps}: cover the whole race")
    wet = sorted({s.compound for s in stints} - set(DRY_COMPOUNDS))
    if wet:
        raise StrategyError(f"strategy {text!r} uses {', '.join(wet)}: the dry search space has S, M and H only")
    if not 1 <= len(stints) - 1 <= max_stops:
        raise StrategyError(f"strategy {text!r} has {len(stints) - 1} stops: give 1 to {max_stops}")
    short = [s for s in stints if s.laps < min_stint_laps]
    if short:
        raise StrategyError(
            f"strategy {text!r}: stint {format_strategy(short[:1])} is {short[0].laps} laps, "
            f"under the {min_stint_laps}-lap minimum"
        )
    if len({s.compound for s in stints}) < 2:
        raise StrategyError(f"strategy {text!r} uses one compound: a dry race needs at least two distinct ones")


# ---- the truth model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Race:
    """One round's truth-model figures in integer microseconds."""

    laps: int
    lap_us: int  # base lap + pace: every lap
    fuel_us: int  # per lap of fuel on board
    start_us: int  # standing start (pole)
    grid_slot_us: int
    pit_loss_us: int  # per stop, green flag, nominal stop
    offset_us: dict[str, int]
    degradation_us: dict[str, int]

    def constant_us(self, grid: int) -> int:
        """The part of a race time no strategy changes: base + pace and fuel on every lap, the standing start."""
        fuel_laps = self.laps * (self.laps + 1) // 2  # sum over l of (N - l + 1)
        return self.laps * self.lap_us + self.fuel_us * fuel_laps + self.start_us + self.grid_slot_us * (grid - 1)

    def stint_us(self, compound: str, laps: int) -> int:
        """A stint on new tyres: ``laps`` laps of the compound's offset plus degradation at ages 0..laps-1."""
        return laps * self.offset_us[compound] + self.degradation_us[compound] * (laps * (laps - 1) // 2)


def _us(seconds: float) -> int:
    return round(seconds * US_PER_S)


def _round(truth: dict[str, Any], round_number: int) -> dict[str, Any]:
    for round_ in truth.get("rounds", []):
        if round_["round"] == round_number:
            if round_.get("is_cancelled"):
                raise StrategyError(f"round {round_number} was cancelled: it has no race; choose another round")
            return round_
    known = ", ".join(str(r["round"]) for r in truth.get("rounds", []))
    raise StrategyError(f"round {round_number} is not in the truth file: choose one of {known}")


def total_pace_s(truth: dict[str, Any], round_number: int, driver_id: str | None) -> float:
    """The driver's total pace in that round (driver + the car of the team he raced for then), s/lap versus
    the field; ``None``: the average driver in the average car (0)."""
    if driver_id is None:
        return 0.0
    driver = next((d for d in truth.get("drivers", []) if d["driver_id"] == driver_id), None)
    if driver is None:
        raise StrategyError(f"driver {driver_id!r} is not in the truth file: give a driver_id from its 'drivers'")
    seat = next((s for s in driver["rounds"] if s["round"] == round_number), None)
    if seat is None:
        raise StrategyError(f"driver {driver_id!r} did not race in round {round_number}: choose a round he raced")
    car = next(t["car_pace_s"] for t in truth["teams"] if t["team_name"] == seat["team_name"])
    return float(driver["driver_pace_s"]) + float(car)


def _race(truth: dict[str, Any], round_number: int, driver_id: str | None) -> _Race:
    round_ = _round(truth, round_number)
    model = truth["model"]
    return _Race(
        laps=int(round_["race_laps"]),
        lap_us=_us(round_["base_lap_time_s"]) + _us(total_pace_s(truth, round_number, driver_id)),
        fuel_us=_us(model["fuel_effect_s_per_lap"]),
        start_us=_us(model["standing_start_s"]),
        grid_slot_us=_us(model["grid_slot_s"]),
        pit_loss_us=_us(round_["pit_loss_s"]),
        offset_us={c: _us(v) for c, v in model["compound_offset_s"].items()},
        degradation_us={c: _us(v) for c, v in model["compound_degradation_s_per_lap"].items()},
    )


def race_time_s(
    truth: dict[str, Any],
    round_number: int,
    driver_id: str | None,
    strategy: str | Strategy,
    grid: int = 1,
) -> float:
    """The race time (s, lights out to the flag) the truth model gives ``driver_id`` (None: total pace 0) driving
    ``strategy`` in round ``round_number``'s Grand Prix from grid slot ``grid``: no noise, every lap green, new
    tyres on every stint, the round's green-flag ``pit_loss_s`` per stop (see the module docstring).

    Summed lap by lap, the way the simulator's engine runs a race. Raises StrategyError (one line) on a bad
    strategy string, an unknown round or driver.
    """
    race = _race(truth, round_number, driver_id)
    # stints given as objects get the same checks as a string
    stints = parse_strategy(strategy if isinstance(strategy, str) else format_strategy(strategy), race.laps)
    if grid < 1:
        raise StrategyError(f"grid {grid}: give a grid slot from 1 (pole)")
    total = race.start_us + race.grid_slot_us * (grid - 1) + race.pit_loss_us * (len(stints) - 1)
    for stint in stints:
        if stint.compound not in race.offset_us:
            raise StrategyError(f"compound {stint.compound!r} has no offset in the truth model: use S, M, H, I or W")
        for lap in range(stint.first_lap, stint.last_lap + 1):
            age = lap - stint.first_lap
            total += (
                race.lap_us
                + race.offset_us[stint.compound]
                + race.degradation_us[stint.compound] * age
                + race.fuel_us * (race.laps - lap + 1)
            )
    return total / US_PER_S


# ---- the best strategy -----------------------------------------------------------------------------------


def best_strategy(
    truth: dict[str, Any],
    round_number: int,
    min_stint_laps: int = 5,
    max_stops: int = 3,
    driver_id: str | None = None,
) -> tuple[str, float]:
    """The truly best strategy of round ``round_number``'s Grand Prix under the truth model (every lap green, as
    ``race_time_s``) and its race time for ``driver_id`` (None: total pace 0, from pole).

    The search space is exhaustive: every pit lap, 1 to ``max_stops`` stops, dry compounds (SOFT, MEDIUM, HARD)
    with at least two distinct ones, every stint at least ``min_stint_laps`` laps, new tyres on each stint.
    Ties (exactly equal race times in microseconds: a strategy's stints in another order cost the same) are
    broken by fewer stops, then the earlier pit laps (first stop first, then the second, ...), then the
    compounds stint by stint in the order SOFT < MEDIUM < HARD. A dynamic programme over (stints left, first
    lap, compounds used): stint costs are separable, so it visits each (stint start, length, compound) once
    per state rather than every combination.
    """
    by_stops = best_strategy_by_stops(truth, round_number, min_stint_laps, max_stops, driver_id)
    if not by_stops:
        race = _race(truth, round_number, driver_id)
        raise StrategyError(
            f"round {round_number}: {race.laps} laps cannot hold two stints of {min_stint_laps}+ laps; "
            "lower min_stint_laps"
        )
    stops = min(by_stops, key=lambda k: (by_stops[k][1], k))  # equal times: fewer stops
    return by_stops[stops]


def best_strategy_by_stops(
    truth: dict[str, Any],
    round_number: int,
    min_stint_laps: int = 5,
    max_stops: int = 3,
    driver_id: str | None = None,
) -> dict[int, tuple[str, float]]:
    """``best_strategy`` for each number of stops from 1 to ``max_stops`` that the race distance allows:
    stops -> (strategy string, race time). Same search space and tie-break."""
    if min_stint_laps < 1:
        raise StrategyError(f"min_stint_laps {min_stint_laps}: give at least 1")
    if max_stops < 1:
        raise StrategyError(f"max_stops {max_stops}: give at least 1")
    race = _race(truth, round_number, driver_id)
    compounds = tuple(c for c in DRY_COMPOUNDS if c in race.offset_us)
    costs = {(c, n): race.stint_us(c, n) for c in compounds for n in range(min_stint_laps, race.laps + 1)}

    @cache
    def rest(stints: int, first_lap: int, used: frozenset[str]) -> tuple[int, tuple[int, ...], tuple[int, ...]] | None:
        """Best (cost, last laps of these stints but the final one, compound ranks) for laps first_lap..N in
        exactly ``stints`` stints, given the compounds already used; None when impossible."""
        left = race.laps - first_lap + 1
        if stints == 1:
            if left < min_stint_laps:
                return None
            options = [c for c in compounds if len(used | {c}) >= 2]
            if not options:
                return None
            best_c = min(options, key=lambda c: (costs[(c, left)], DRY_RANK[c]))
            return costs[(best_c, left)], (), (DRY_RANK[best_c],)
        best: tuple[int, tuple[int, ...], tuple[int, ...]] | None = None
        for laps in range(min_stint_laps, left - min_stint_laps * (stints - 1) + 1):
            last = first_lap + laps - 1
            for c in compounds:
                after = rest(stints - 1, last + 1, used | {c})
                if after is None:
                    continue
                key = (costs[(c, laps)] + after[0], (last, *after[1]), (DRY_RANK[c], *after[2]))
                if best is None or key < best:
                    best = key
        return best

    result: dict[int, tuple[str, float]] = {}
    for stops in range(1, max_stops + 1):
        found = rest(stops + 1, 1, frozenset())
        if found is None:
            continue
        cost, ends, ranks = found
        firsts = (1, *(end + 1 for end in ends))
        lasts = (*ends, race.laps)
        stints = tuple(
            Stint(DRY_COMPOUNDS[rank], first, last) for rank, first, last in zip(ranks, firsts, lasts, strict=True)
        )
        total = race.constant_us(1) + cost + race.pit_loss_us * stops
        result[stops] = (format_strategy(stints), total / US_PER_S)
    return result
