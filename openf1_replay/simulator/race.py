"""Running a race or sprint lap by lap, and classifying it.

The engine computes every car's lap times from ``model.LapModel`` plus the lap's circumstances (standing
start, pit in/out lap, safety car, VSC, wet track) and accumulates them in integer milliseconds, so lap
durations, sector times, dates and gaps all add up exactly. Under a safety car the field queues up (nobody
gains a place except through the pits); under a VSC every lap is slowed by the same factor.

Neutralisations are resolved in order: run the race, see when the stopped car stops, deploy the safety car
on the leader's lap at that moment, let cars with a stop due soon pit under it, run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from openf1_replay.simulator.calendar import Session
from openf1_replay.simulator.laps import FIRST, IN_LAP, OUT_LAP
from openf1_replay.simulator.model import LapModel, wet_penalty
from openf1_replay.simulator.people import Entry
from openf1_replay.simulator.race_plan import RacePlan, Retirement, Strategy, wetness_by_lap
from openf1_replay.simulator.track import V_PIT, Track

NEUTRAL_NONE, NEUTRAL_SC, NEUTRAL_VSC = 0, 1, 2
FORMATION_S = 205  # from the session's scheduled start to lights out


@dataclass
class Period:
    kind: str  # 'SC' or 'VSC'
    start_lap: int  # leader's lap at deployment
    end_lap: int  # last neutralised lap; racing resumes on end_lap + 1
    car: int  # grid index of the stopped car that caused it
    deploy_s: float  # seconds after lights out


@dataclass
class Pit:
    lap: int  # in-lap
    entry_ms: int
    lane_s: float
    stop_s: float
    # what the engine charged for this stop (the truth file's ``pit_stops``): the in-lap's and out-lap's track
    # status and lap factor, the stop's exact stationary and pit-lane times and the seconds it cost versus
    # driving both laps without it (``pit_in_extra`` + ``pit_out_extra``)
    in_status: str = "green"
    out_status: str = "green"
    in_factor: float = 1.0
    out_factor: float = 1.0
    stop_exact_s: float = 0.0
    lane_exact_s: float = 0.0
    loss_s: float = 0.0

    @property
    def exit_ms(self) -> int:
        return self.entry_ms + round(self.lane_s * 1000)


@dataclass
class Stint:
    number: int
    compound: str
    lap_start: int
    lap_end: int
    tyre_age_at_start: int


@dataclass
class CarRace:
    entry: Entry
    grid: int  # 1-based grid slot
    dns: bool
    lap_ms: np.ndarray  # durations of completed laps
    lap_start_ms: np.ndarray  # absolute start of each completed lap
    extra1_ms: np.ndarray  # time added to sector 1 (standing start, pit exit)
    extra3_ms: np.ndarray  # time added to sector 3 (pit entry)
    kind: np.ndarray  # GREEN / FIRST / IN_LAP / OUT_LAP per completed lap
    neutral: np.ndarray  # NEUTRAL_* per completed lap
    compound: list[str]  # per completed lap
    tyre_age: np.ndarray  # per completed lap
    finished: bool
    retirement: Retirement | None
    stop_ms: int | None  # absolute time the car stopped on track (retired cars)
    pits: list[Pit]
    stints: list[Stint]
    stop_s_by_out_lap: dict[int, float] = field(default_factory=dict)

    @property
    def laps_completed(self) -> int:
        return len(self.lap_ms)

    @property
    def end_ms(self) -> int | None:
        """Last line crossing (finishers) or the moment the car stopped (retirements)."""
        if self.dns:
            return None
        if self.stop_ms is not None:
            return self.stop_ms
        return int(self.lap_start_ms[-1] + self.lap_ms[-1]) if self.laps_completed else None


@dataclass
class RaceOutcome:
    session: Session
    n_laps: int
    lights_out_ms: int
    cars: list[CarRace]  # in grid order
    periods: list[Period]
    wetness: np.ndarray  # per leader lap (index = lap)
    chequered_ms: int
    leader_lap_end_ms: np.ndarray  # absolute time the first car completed lap l (index l - 1)
    drs_allowed: np.ndarray  # per lap (index = lap)
    drs_eligible: list[np.ndarray]  # per car, per completed lap: within 1 s at the line and DRS allowed
    plan: RacePlan
    base_lap_s: float

    def leader_lap_at(self, ms: int) -> int:
        """The lap the leader is on at ``ms`` (1 before the start, at most the race distance)."""
        return int(min(self.n_laps, 1 + np.searchsorted(self.leader_lap_end_ms, ms, side="right")))

    def leader_lap_start_ms(self, lap: int) -> int:
        return self.lights_out_ms if lap <= 1 else int(self.leader_lap_end_ms[min(lap, self.n_laps) - 2])

    def neutral_laps(self, kind: str) -> list[int]:
        return [lap for p in self.periods if p.kind == kind for lap in range(p.start_lap, p.end_lap + 1)]


@dataclass
class _Run:
    lap_ms: np.ndarray  # (cars, laps), 0 where not driven
    extra1: np.ndarray
    extra3: np.ndarray
    kind: np.ndarray
    neutral: np.ndarray
    clean_s: np.ndarray
    compound: np.ndarray  # object
    age: np.ndarray
    driven: np.ndarray  # bool (cars, laps)
    laps_completed: np.ndarray
    finished: np.ndarray
    chequered_s: float

    def cum_s(self, car: int, laps: int) -> float:
        return float(self.lap_ms[car, :laps].sum()) / 1000.0

    def leader_lap_end_s(self) -> np.ndarray:
        cum = np.where(self.driven, np.cumsum(self.lap_ms, axis=1), np.iinfo(np.int64).max)
        return cum.min(axis=0) / 1000.0

    def leader_lap_at(self, seconds: float) -> int:
        return int(1 + np.searchsorted(self.leader_lap_end_s(), seconds, side="right"))

    def stop_s(self, car: int, retirement: Retirement) -> float:
        done = retirement.lap - 1
        return self.cum_s(car, done) + retirement.fraction * float(self.clean_s[car, done])


def lap_status(model: LapModel, periods: list[Period], lap: int) -> tuple[str, float]:
    """The engine's track status of a lap ('green', 'vsc', 'sc_deploy' or 'sc') and its lap-time factor.

    A neutralisation's first lap (its deployment lap) is slowed by half the full factor; under a VSC it is
    still 'vsc', under a safety car 'sc_deploy' (the field does not queue yet). Periods never overlap.
    """
    status, factor = "green", 1.0
    for p in periods:
        if p.start_lap <= lap <= p.end_lap:
            deploy_lap = lap == p.start_lap
            full = model.sc_lap_factor if p.kind == "SC" else model.vsc_lap_factor
            factor = 1 + (full - 1) / 2 if deploy_lap else full
            status = "vsc" if p.kind == "VSC" else ("sc_deploy" if deploy_lap else "sc")
    return status, factor


class _Engine:
    def __init__(
        self,
        track: Track,
        model: LapModel,
        grid: list[Entry],
        plan: RacePlan,
        n_laps: int,
        rng: np.random.Generator,
    ) -> None:
        n = len(grid)
        self.track, self.model, self.grid, self.plan, self.n_laps = track, model, grid, plan, n_laps
        self.base = track.lap_time
        self.pace = np.array([e.pace_s for e in grid])
        self.noise = rng.normal(0.0, model.noise_sd_s, (n, n_laps))
        self.lap1 = np.abs(rng.normal(0.0, 0.5, n))
        self.queue_gap = rng.uniform(0.35, 1.0, (n, n_laps))
        self.lane_noise = rng.normal(0.0, 0.3, (n, 8))
        slow = rng.random((n, 8)) < 0.06
        self.stop = np.clip(rng.normal(2.45, 0.2, (n, 8)) + slow * rng.uniform(0.4, 1.0, (n, 8)), 2.0, 3.5)
        self.retire_lap = np.full(n, n_laps + 1)
        for r in plan.retirements:
            self.retire_lap[r.car] = r.lap
        self.dns = np.array([c in plan.dns for c in range(n)])
        self.wetness = wetness_by_lap(plan, n_laps)

    def pit_in_extra(self, factor: float, car: int, stop_index: int) -> float:
        t = self.track
        return t.pit_in_m / V_PIT - factor * t.pit_in_racing_s + self.lane_noise[car, stop_index] / 2

    def pit_out_extra(self, factor: float, car: int, stop_index: int) -> float:
        t = self.track
        return (
            self.stop[car, stop_index]
            + t.pit_out_m / V_PIT
            - factor * t.pit_out_racing_s
            + self.model.out_lap_cold_tyres_s
            + self.lane_noise[car, stop_index] / 2
        )

    def run(self, strategies: list[Strategy], periods: list[Period]) -> _Run:
        n, laps, m = len(self.grid), self.n_laps, self.model
        lap_ms = np.zeros((n, laps), dtype=np.int64)
        extra1 = np.zeros((n, laps), dtype=np.int64)
        extra3 = np.zeros((n, laps), dtype=np.int64)
        kind = np.zeros((n, laps), dtype=np.int8)
        neutral = np.zeros((n, laps), dtype=np.int8)
        clean_s = np.zeros((n, laps))
        compound = np.empty((n, laps), dtype=object)
        age = np.zeros((n, laps), dtype=np.int64)
        driven = np.zeros((n, laps), dtype=bool)
        cum_ms = np.zeros(n, dtype=np.int64)
        starts = [s.starts() for s in strategies]
        for lap in range(1, laps + 1):
            i = lap - 1
            stint = [int(np.searchsorted(s.ends, lap)) for s in strategies]
            compound[:, i] = [s.compounds[k] for s, k in zip(strategies, stint, strict=True)]
            age[:, i] = [s.ages[k] + lap - st[k] for s, st, k in zip(strategies, starts, stint, strict=True)]
            in_lap = np.array(
                [k < len(s.ends) - 1 and s.ends[k] == lap for s, k in zip(strategies, stint, strict=True)]
            )
            out_lap = np.array([k > 0 and st[k] == lap for st, k in zip(starts, stint, strict=True)])
            clean = m.lap_time(self.base, self.pace, compound[:, i], age[:, i], laps - lap + 1, self.noise[:, i])
            clean = clean + wet_penalty(self.wetness[lap], compound[:, i])
            clean_s[:, i] = clean
            active = ~self.dns & (lap < self.retire_lap)
            driven[:, i] = active

            status, factor = lap_status(m, periods, lap)
            if status != "green":
                neutral[:, i] = NEUTRAL_VSC if status == "vsc" else NEUTRAL_SC
            start_extra = np.zeros(n)
            if lap == 1:
                start_extra = m.standing_start_s + m.grid_slot_s * np.arange(n) + self.lap1
                kind[:, i] = FIRST
            e_in = np.array([self.pit_in_extra(factor, c, stint[c]) if in_lap[c] else 0.0 for c in range(n)])
            e_out = np.array([self.pit_out_extra(factor, c, stint[c] - 1) if out_lap[c] else 0.0 for c in range(n)])
            kind[in_lap, i] = IN_LAP
            kind[out_lap, i] = OUT_LAP
            lt = clean * factor + start_extra + e_in + e_out
            if status == "sc":
                lt = self._queue(lt, clean, cum_ms / 1000.0, active, in_lap | out_lap, e_in + e_out, i)
            ms = np.where(active, np.rint(lt * 1000).astype(np.int64), 0)
            lap_ms[:, i] = ms
            extra1[:, i] = np.where(active, np.rint((start_extra + e_out) * 1000), 0)
            extra3[:, i] = np.where(active, np.rint(e_in * 1000), 0)
            cum_ms += ms

        cum = np.cumsum(lap_ms, axis=1)
        full_distance = driven[:, -1]
        chequered = float(cum[full_distance, -1].min()) / 1000.0
        laps_completed = np.zeros(n, dtype=np.int64)
        finished = np.zeros(n, dtype=bool)
        for c in range(n):
            if self.dns[c]:
                continue
            over = np.nonzero(driven[c] & (cum[c] >= chequered * 1000))[0]
            if over.size:
                laps_completed[c], finished[c] = over[0] + 1, True
            else:
                laps_completed[c] = self.retire_lap[c] - 1
        return _Run(
            lap_ms, extra1, extra3, kind, neutral, clean_s, compound, age, driven, laps_completed, finished, chequered
        )

    def _queue(
        self,
        lap_s: np.ndarray,
        clean: np.ndarray,
        cum_s: np.ndarray,
        active: np.ndarray,
        pitting: np.ndarray,
        pit_extra: np.ndarray,
        i: int,
    ) -> np.ndarray:
        """Safety-car lap: the field closes up behind the leader in order; pitting cars drop out of the queue."""
        sc_lap = self.base * self.model.sc_lap_factor
        result = lap_s.copy()
        previous: float | None = None
        for c in sorted(np.nonzero(active)[0], key=lambda c: (cum_s[c], c)):
            if pitting[c]:
                result[c] = sc_lap + pit_extra[c]
                continue
            earliest = cum_s[c] + max(self.base * 1.08, clean[c])  # catching the queue at racing speed
            end = cum_s[c] + sc_lap if previous is None else max(earliest, previous + self.queue_gap[c, i])
            result[c] = end - cum_s[c]
            previous = end
        return result


def _pit_under_safety_car(strategy: Strategy, deploy_lap: int) -> None:
    target = deploy_lap + 1
    for k, in_lap in enumerate(strategy.in_laps()):
        previous_end = strategy.ends[k - 1] if k else 0
        if target <= in_lap <= target + 6 and target - previous_end >= 4 and strategy.ends[k + 1] - target >= 4:
            strategy.ends[k] = target
            return


def run_race(
    session: Session,
    track: Track,
    model: LapModel,
    grid: list[Entry],
    plan: RacePlan,
    n_laps: int,
    rng: np.random.Generator,
) -> RaceOutcome:
    engine = _Engine(track, model, grid, plan, n_laps, rng)
    strategies = [s.copy() for s in plan.strategies]
    periods: list[Period] = []
    for retirement in plan.retirements:
        if retirement.neutralise is None:
            continue
        trial = engine.run(strategies, periods)
        if trial.finished[retirement.car]:
            continue
        deploy = trial.stop_s(retirement.car, retirement) + retirement.delay_s
        start = trial.leader_lap_at(deploy)
        end = start + retirement.length  # the deployment lap plus `length` full neutralised laps
        clash = any(start <= p.end_lap + 2 and end >= p.start_lap - 2 for p in periods)
        if start < 2 or end > n_laps - 3 or clash:
            continue
        periods.append(Period(retirement.neutralise, start, end, retirement.car, deploy))
        if retirement.neutralise == "SC" and plan.wet is None:
            for strategy in strategies:
                _pit_under_safety_car(strategy, start)

    for _ in range(4):  # drop stops whose out-lap a car never completes (it retired or was lapped)
        final = engine.run(strategies, periods)
        changed = False
        for c, strategy in enumerate(strategies):
            if strategy.in_laps() and strategy.in_laps()[-1] >= final.laps_completed[c]:
                strategy.drop_stops_from(int(final.laps_completed[c]))
                changed = True
        if not changed:
            break
    return _outcome(session, track, model, grid, plan, n_laps, engine, final, strategies, periods)


def _outcome(
    session: Session,
    track: Track,
    model: LapModel,
    grid: list[Entry],
    plan: RacePlan,
    n_laps: int,
    engine: _Engine,
    run: _Run,
    strategies: list[Strategy],
    periods: list[Period],
) -> RaceOutcome:
    lights_out = session.start_ms + FORMATION_S * 1000
    retirements = {r.car: r for r in plan.retirements}
    cars = []
    for c, entry in enumerate(grid):
        done = int(run.laps_completed[c])
        durations = run.lap_ms[c, :done].copy()
        starts = lights_out + np.concatenate([[0], np.cumsum(durations)[:-1]]).astype(np.int64) if done else durations
        retirement = None if run.finished[c] or engine.dns[c] else retirements.get(c)
        stop_ms = lights_out + round(run.stop_s(c, retirement) * 1000) if retirement else None
        strategy = strategies[c]
        stints, pits, stops = [], [], {}
        for k, (compound, first, last) in enumerate(
            zip(strategy.compounds, strategy.starts(), strategy.ends, strict=True)
        ):
            if first > done:
                break
            stints.append(Stint(k + 1, compound, first, min(last, done), strategy.ages[k]))
            if k and first <= done:
                in_lap = first - 1
                line_ms = int(starts[in_lap]) if in_lap < done else 0
                lane = (
                    track.pit_in_m / V_PIT
                    + engine.stop[c, k - 1]
                    + track.pit_out_m / V_PIT
                    + engine.lane_noise[c, k - 1]
                )
                entry_ms = line_ms - round(track.pit_in_m / V_PIT * 1000)
                in_status, in_factor = lap_status(model, periods, in_lap)
                out_status, out_factor = lap_status(model, periods, first)
                loss = engine.pit_in_extra(in_factor, c, k - 1) + engine.pit_out_extra(out_factor, c, k - 1)
                pits.append(
                    Pit(
                        in_lap,
                        entry_ms,
                        round(float(lane), 1),
                        round(float(engine.stop[c, k - 1]), 1),
                        in_status,
                        out_status,
                        in_factor,
                        out_factor,
                        float(engine.stop[c, k - 1]),
                        float(lane),
                        float(loss),
                    )
                )
                stops[first] = float(engine.stop[c, k - 1])
        cars.append(
            CarRace(
                entry=entry,
                grid=c + 1,
                dns=bool(engine.dns[c]),
                lap_ms=durations,
                lap_start_ms=starts,
                extra1_ms=run.extra1[c, :done].copy(),
                extra3_ms=run.extra3[c, :done].copy(),
                kind=run.kind[c, :done].copy(),
                neutral=run.neutral[c, :done].copy(),
                compound=[str(x) for x in run.compound[c, :done]],
                tyre_age=run.age[c, :done].copy(),
                finished=bool(run.finished[c]),
                retirement=retirement,
                stop_ms=stop_ms,
                pits=pits,
                stints=stints,
                stop_s_by_out_lap=stops,
            )
        )
    leader_end = lights_out + np.rint(run.leader_lap_end_s() * 1000).astype(np.int64)
    allowed = np.zeros(n_laps + 2, dtype=bool)
    allowed[3 : n_laps + 1] = True
    for p in periods:
        allowed[p.start_lap + 1 : p.end_lap + (3 if p.kind == "SC" else 2)] = False
    allowed &= engine.wetness < 0.25
    eligible = []
    cum = np.cumsum(run.lap_ms, axis=1)
    for c in range(len(grid)):
        flags = np.zeros(int(run.laps_completed[c]), dtype=bool)
        for i in range(1, len(flags)):
            ahead = run.driven[:, i - 1] & (cum[:, i - 1] < cum[c, i - 1])
            if ahead.any():
                flags[i] = allowed[i + 1] and (cum[c, i - 1] - cum[ahead, i - 1].max()) < 1000
        eligible.append(flags)
    return RaceOutcome(
        session=session,
        n_laps=n_laps,
        lights_out_ms=lights_out,
        cars=cars,
        periods=periods,
        wetness=engine.wetness,
        chequered_ms=lights_out + round(run.chequered_s * 1000),
        leader_lap_end_ms=leader_end,
        drs_allowed=allowed,
        drs_eligible=eligible,
        plan=plan,
        base_lap_s=engine.base,
    )
