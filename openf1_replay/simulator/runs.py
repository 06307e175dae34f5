"""Out-of-the-garage runs, the unit of practice and qualifying: out-lap, push laps, in-lap.

Push laps follow the lap-time model; out-laps and cool-down laps are driven slower; out-laps start from
the pit exit and in-laps end in the pit lane, so their pit-lane time lands in sector 1 / sector 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from openf1_replay.simulator.laps import GARAGE_OUT, GREEN, IN_LAP
from openf1_replay.simulator.model import LapModel
from openf1_replay.simulator.people import Entry
from openf1_replay.simulator.race import Stint
from openf1_replay.simulator.telemetry import DriveTrace
from openf1_replay.simulator.track import V_PIT, Track

OUT_LAP_FACTOR, COOL_LAP_FACTOR, IN_LAP_FACTOR = 1.3, 1.35, 1.25


@dataclass
class CarLog:
    entry: Entry
    start: list[int] = field(default_factory=list)
    duration: list[int] = field(default_factory=list)
    extra1: list[int] = field(default_factory=list)
    extra3: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    push: list[bool] = field(default_factory=list)
    deleted: list[bool] = field(default_factory=list)
    phase: list[int] = field(default_factory=list)
    stints: list[Stint] = field(default_factory=list)
    laps_on_set: dict[str, int] = field(default_factory=dict)  # compound -> laps on the last set used

    @property
    def laps(self) -> int:
        return len(self.duration)

    def best(self, phase: int | None = None) -> int | None:
        times = [
            d
            for d, p, x, ph in zip(self.duration, self.push, self.deleted, self.phase, strict=True)
            if p and not x and (phase is None or ph == phase)
        ]
        return min(times) if times else None

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "lap_numbers": np.arange(1, self.laps + 1),
            "start_ms": np.array(self.start, dtype=np.int64),
            "duration_ms": np.array(self.duration, dtype=np.int64),
            "extra1_ms": np.array(self.extra1, dtype=np.int64),
            "extra3_ms": np.array(self.extra3, dtype=np.int64),
            "kind": np.array(self.kind, dtype=np.int8),
        }

    def trace(self) -> DriveTrace:
        a = self.arrays()
        return DriveTrace(self.entry.number, a["start_ms"], a["duration_ms"], a["kind"], a["kind"] == GREEN)

    def on_track(self) -> tuple[int, int]:
        return (self.start[0], self.start[-1] + self.duration[-1]) if self.start else (0, 0)


class RunDriver:
    """Drives runs for every car of one session, each lap drawn from the lap-time model."""

    def __init__(self, track: Track, model: LapModel, rng: np.random.Generator) -> None:
        self.track, self.model, self.rng = track, model, rng

    def estimate_s(self, pushes: int) -> float:
        """Roughly how long a run of ``pushes`` consecutive push laps takes, garage to garage."""
        return self.track.lap_time * (OUT_LAP_FACTOR + IN_LAP_FACTOR + pushes)

    def run(
        self,
        log: CarLog,
        start_ms: int,
        compound: str,
        pushes: int,
        fuel_laps: float,
        *,
        phase: int = 0,
        cool_between: bool = False,
        delete_chance: float = 0.0,
        evolution_s: float = 0.0,
        reuse_set: bool = False,
    ) -> int:
        """Append one run to ``log`` starting at ``start_ms``; return when the car is back in the pit lane."""
        t, m, rng = self.track, self.model, self.rng
        age = log.laps_on_set.get(compound, 0) if reuse_set else 0
        first_lap = log.laps + 1
        plan = ["out"]
        for k in range(pushes):
            if k and cool_between:
                plan.append("cool")
            plan.append("push")
        plan.append("in")
        now = start_ms
        for i, what in enumerate(plan):
            clean = (
                float(
                    m.lap_time(
                        t.lap_time,
                        log.entry.pace_s,
                        compound,
                        age + i,
                        max(fuel_laps - i, 0),
                        rng.normal(0, m.noise_sd_s),
                    )[0]
                )
                + evolution_s
            )
            extra1 = extra3 = 0.0
            if what == "out":
                extra1 = t.pit_out_m / V_PIT - OUT_LAP_FACTOR * t.pit_out_racing_s
                lap_s, kind = OUT_LAP_FACTOR * clean + extra1, GARAGE_OUT
            elif what == "in":
                extra3 = t.pit_in_m / V_PIT - IN_LAP_FACTOR * t.pit_in_racing_s
                lap_s, kind = IN_LAP_FACTOR * clean + extra3, IN_LAP
            elif what == "cool":
                lap_s, kind = COOL_LAP_FACTOR * clean, GREEN
            else:
                lap_s, kind = clean, GREEN
            ms = round(lap_s * 1000)
            log.start.append(now)
            log.duration.append(ms)
            log.extra1.append(round(extra1 * 1000))
            log.extra3.append(round(extra3 * 1000))
            log.kind.append(kind)
            log.push.append(what == "push")
            log.deleted.append(what == "push" and bool(rng.random() < delete_chance))
            log.phase.append(phase)
            now += ms
        log.stints.append(Stint(len(log.stints) + 1, compound, first_lap, log.laps, age))
        log.laps_on_set[compound] = age + len(plan)
        return now
