"""Live timing derived from a run race: position changes, intervals, overtakes and lapping moments.

Each car's progress through the race (laps, fractional within a lap) is interpolated linearly between its
line crossings; a retired car freezes where it stopped and drops behind every running car. Intervals are
sampled about every 4 s per car (each car at its own jittered instants), gaps measured as the time since
the leader / the car ahead passed the same point; cars a lap or more down get '+N LAP(S)'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from openf1_replay.simulator.race import RaceOutcome
from openf1_replay.simulator.results import laps_text
from openf1_replay.simulator.timefmt import iso, iso_column

SAMPLE_MS = 4000


@dataclass
class Timing:
    position: list[dict[str, Any]]
    interval_lines: bytes  # the intervals records as JSON lines (the bulkiest light endpoint: formatted fast)
    interval_count: int
    overtakes: list[dict[str, Any]]
    lapped: list[tuple[int, int]]  # (ms, grid index): moments a car is lapped by the leader (blue flags)


class _Progress:
    """Piecewise-linear progress (laps) against time (ms after lights out) for each starter."""

    def __init__(self, outcome: RaceOutcome) -> None:
        self.times: list[np.ndarray] = []
        self.laps: list[np.ndarray] = []
        self.end: list[float] = []
        self.retired: list[bool] = []
        for car in outcome.cars:
            t = np.concatenate([[0.0], np.cumsum(car.lap_ms).astype(float)])
            x = np.arange(len(t), dtype=float)
            x[0] = -1e-4 * car.grid  # the grid order before the first crossing
            if car.stop_ms is not None:
                stop = float(car.stop_ms - outcome.lights_out_ms)
                full = float(car.retirement.fraction) if car.retirement else 0.5
                t, x = np.append(t, stop), np.append(x, car.laps_completed + 0.98 * full)
            self.times.append(t)
            self.laps.append(x)
            self.end.append(float(t[-1]))
            self.retired.append(car.stop_ms is not None)

    def at(self, car: int, ms: np.ndarray) -> np.ndarray:
        return np.interp(ms, self.times[car], self.laps[car])

    def time_reaching(self, car: int, laps: np.ndarray) -> np.ndarray:
        return np.interp(laps, self.laps[car], self.times[car])


def _order_keys(progress: _Progress, starters: list[int], ms: np.ndarray, cars: int) -> tuple[np.ndarray, np.ndarray]:
    """(instants, cars) sort keys, bigger is further ahead: progress (laps) first; a finished car sits at its
    final lap count and, among those, earlier finishers rank first; a retired car falls behind every runner."""
    primary = np.full((len(ms), cars), -np.inf)
    secondary = np.zeros((len(ms), cars))
    for c in starters:
        x = progress.at(c, ms)
        done = ms >= progress.end[c]
        primary[:, c] = np.where(done & progress.retired[c], -1000.0 + x, x)
        secondary[:, c] = np.where(done & (not progress.retired[c]), 1e12 - progress.end[c], 0.0)
    return primary, secondary


def _adjacent_swaps(before: list[int], after: list[int]) -> list[tuple[int, int, int]]:
    """(overtaking, overtaken, overtaking car's new position) turning ``before`` into ``after`` by adjacent swaps."""
    rank = {c: i for i, c in enumerate(after)}
    order = list(before)
    swaps = []
    changed = True
    while changed:
        changed = False
        for i in range(len(order) - 1):
            if rank[order[i]] > rank[order[i + 1]]:
                order[i], order[i + 1] = order[i + 1], order[i]
                swaps.append((order[i], order[i + 1], i + 1))
                changed = True
    return swaps


def build_timing(outcome: RaceOutcome, rng: np.random.Generator) -> Timing:
    session = outcome.session
    base = {"session_key": session.session_key}
    starters = [c for c, car in enumerate(outcome.cars) if not car.dns]
    number = {c: outcome.cars[c].entry.number for c in starters}
    progress = _Progress(outcome)
    horizon = max(progress.end[c] for c in starters)
    grid_times = np.arange(0.0, horizon + SAMPLE_MS, SAMPLE_MS)

    # position: the starting order at the scheduled start, then changes at each sample instant
    positions, overtakes, lapped = [], [], []
    order = sorted(starters, key=lambda c: outcome.cars[c].grid)
    for rank, c in enumerate(order, start=1):
        positions.append(
            {
                "date": iso(session.start_ms),
                **base,
                "driver_number": number[c],
                "meeting_key": session.meeting_key,
                "position": rank,
            }
        )
    primary, secondary = _order_keys(progress, starters, grid_times, len(outcome.cars))
    grid_slot = np.broadcast_to(np.array([car.grid for car in outcome.cars]), primary.shape)
    orders = np.lexsort((grid_slot, -secondary, -primary), axis=1)[:, : len(starters)]  # DNS cars sort last

    for k, ms in enumerate(grid_times[1:], start=1):
        new_order = [int(c) for c in orders[k]]
        when = iso(outcome.lights_out_ms + int(ms))
        if new_order != order:
            stopped = {c for c in starters if progress.retired[c] and ms >= progress.end[c]}
            for winner, loser, place in _adjacent_swaps(order, new_order):
                if winner in stopped or loser in stopped:
                    continue
                overtakes.append(
                    {
                        "meeting_key": session.meeting_key,
                        **base,
                        "overtaking_driver_number": number[winner],
                        "overtaken_driver_number": number[loser],
                        "date": when,
                        "position": place,
                    }
                )
            before = {c: i for i, c in enumerate(order)}
            for i, c in enumerate(new_order):
                if before[c] != i:
                    positions.append(
                        {
                            "date": when,
                            **base,
                            "driver_number": number[c],
                            "meeting_key": session.meeting_key,
                            "position": i + 1,
                        }
                    )
            order = new_order

    # lapped: a running car falls a further whole lap behind the leader (race control waves blue flags)
    runners = np.array(starters)
    ahead_of = primary[:, runners]
    running = grid_times[:, None] < np.array([progress.end[c] for c in starters])[None, :]
    down = np.where(running, np.floor(ahead_of.max(axis=1)[:, None] - ahead_of + 1e-9), 0)
    worst_so_far = np.vstack([np.zeros((1, len(starters))), np.maximum.accumulate(down, axis=0)[:-1]])
    for k, i in zip(*np.nonzero(running & (down > worst_so_far)), strict=True):
        lapped.append((outcome.lights_out_ms + int(grid_times[k]), int(runners[i])))

    # intervals: computed at each sample instant, stamped a little later per car (timing feeds lag)
    jitter = rng.integers(0, SAMPLE_MS - 100, (len(grid_times), len(outcome.cars)))
    samples, cars, leaders, aheads = [], [], [], []
    for k in range(1, len(grid_times)):
        standing = [int(c) for c in orders[k] if primary[k, c] > -500]  # retired cars drop out
        for place, c in enumerate(standing):
            if grid_times[k] < progress.end[c]:  # finished cars report no more intervals
                samples.append(k)
                cars.append(c)
                leaders.append(standing[0])
                aheads.append(standing[place - 1] if place else c)
    k_, c_, lead_, ahead_ = (np.array(a, dtype=np.int64) for a in (samples, cars, leaders, aheads))
    ms = grid_times[k_]
    x = primary[k_, c_]
    reach_leader, reach_ahead = ms.copy(), ms.copy()
    for j in np.unique(np.concatenate([lead_, ahead_])):
        for reference, reach in ((lead_, reach_leader), (ahead_, reach_ahead)):
            m = (reference == j) & (c_ != j)
            reach[m] = progress.time_reaching(int(j), x[m])
    laps_behind = primary[k_, lead_] - x
    gap_s = np.round((ms - reach_leader) / 1000, 3)
    interval_s = np.round((ms - reach_ahead) / 1000, 3)
    stamps = outcome.lights_out_ms + ms.astype(np.int64) + jitter[k_, c_]
    numbers = np.array([number.get(int(c), 0) for c in c_], dtype=np.int64)
    chronological = np.lexsort((numbers, stamps))
    dates = iso_column(stamps[chronological]).to_pylist()
    gaps = [
        f'"{laps_text(int(behind))}"' if behind >= 1 else repr(gap)
        for behind, gap in zip(laps_behind[chronological].tolist(), gap_s[chronological].tolist(), strict=True)
    ]
    head = f'", "session_key": {session.session_key}, "driver_number": '
    middle = f', "meeting_key": {session.meeting_key}, "gap_to_leader": '
    lines = "".join(  # exactly what json.dumps would print (floats print as repr), at a fraction of the cost
        f'{{"date": "{date}{head}{driver}{middle}{gap}, "interval": {interval!r}}}\n'
        for date, driver, gap, interval in zip(
            dates, numbers[chronological].tolist(), gaps, interval_s[chronological].tolist(), strict=True
        )
    )
    return Timing(positions, lines.encode("utf-8"), len(chronological), overtakes, lapped)
