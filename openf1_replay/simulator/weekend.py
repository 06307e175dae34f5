"""One race weekend: run each session in order and write its records (and telemetry) as soon as it is done.

Only one session's data is held in memory at a time. This is also where the deliberate real-data quirks
are applied to what the sessions produced (see the package docstring for the list).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from openf1_replay.simulator.amend import AMENDED_ENDPOINTS, AmendedSeason, amend_classification
from openf1_replay.simulator.calendar import Meeting, Session
from openf1_replay.simulator.circuits import CIRCUITS
from openf1_replay.simulator.laps import IN_LAP, OUT_LAP, LapRows, pit_row, stint_row
from openf1_replay.simulator.model import COMPOUND_INITIALS, LapModel
from openf1_replay.simulator.people import Entry, driver_row
from openf1_replay.simulator.points import Championship
from openf1_replay.simulator.practice import SessionOutcome, run_practice
from openf1_replay.simulator.qualifying import QualifyingOutcome, run_qualifying
from openf1_replay.simulator.race import CarRace, RaceOutcome, run_race
from openf1_replay.simulator.race_control import message, race_messages, session_messages
from openf1_replay.simulator.race_plan import plan_race
from openf1_replay.simulator.radio import radio_rows
from openf1_replay.simulator.results import Classification, classify
from openf1_replay.simulator.rng import stream
from openf1_replay.simulator.telemetry import ANSWER_ORDER, DriveTrace, TelemetryBuilder, in_answer_order
from openf1_replay.simulator.timefmt import iso
from openf1_replay.simulator.timing import build_timing
from openf1_replay.simulator.track import STOP_NOMINAL_S, V_PIT, Track
from openf1_replay.simulator.weather import weather_rows
from openf1_replay.simulator.writer import LineWriter

RACE_KM, SPRINT_KM = 305.0, 100.0
US_GP_CIRCUIT_KEY = 9  # stop_duration exists from the 2024 United States GP on


@dataclass(frozen=True)
class SeasonEvents:
    """Which round gets which scripted event (chosen among the rounds that are not cancelled)."""

    neutralised_round: int | None  # its race has a safety car and a VSC for sure
    dns_round: int | None
    dsq_round: int | None
    wet_rounds: frozenset[int]


@dataclass
class WeekendContext:
    season: int
    seed: int
    model: LapModel
    championship: Championship
    team_names: list[str]
    events: SeasonEvents
    telemetry: str  # 'races', 'all' or 'none'
    telemetry_hz: float
    counts: Counter[str]
    amend: AmendedSeason | None = None  # --amend: the amended snapshot written beside this one


def race_laps(length_km: float, sprint: bool) -> int:
    return math.ceil((SPRINT_KM if sprint else RACE_KM) / length_km)


def pit_loss_s(track: Track, cold_tyres_s: float, in_factor: float = 1.0, out_factor: float = 1.0) -> float:
    """Time lost to a pit stop (nominal stop, no lane noise) versus driving the in-lap and out-lap without it.

    At green-flag pace by default; ``in_factor`` / ``out_factor`` are the in-lap's and out-lap's lap-time factors
    (``race.lap_status``): the stretches the pit lane replaces are driven that much slower by a car staying out,
    while the pit lane's speed limit and the stop do not change, so a neutralised stop costs less.
    """
    lane = track.pit_in_m / V_PIT + STOP_NOMINAL_S + track.pit_out_m / V_PIT
    return round(lane - in_factor * track.pit_in_racing_s - out_factor * track.pit_out_racing_s + cold_tyres_s, 3)


def pit_loss_truth(track: Track, model: LapModel) -> dict[str, Any]:
    """The truth file's per-round pit-loss figures by track status and the parts they are made of."""
    return {
        "pit_loss_by_track_status_s": {
            "green": pit_loss_s(track, model.out_lap_cold_tyres_s),
            "vsc": pit_loss_s(track, model.out_lap_cold_tyres_s, model.vsc_lap_factor, model.vsc_lap_factor),
            "sc": pit_loss_s(track, model.out_lap_cold_tyres_s, model.sc_lap_factor, model.sc_lap_factor),
        },
        "pit_loss_parts_s": {
            "pit_in_lane_s": round(track.pit_in_m / V_PIT, 3),
            "pit_out_lane_s": round(track.pit_out_m / V_PIT, 3),
            "stop_nominal_s": STOP_NOMINAL_S,
            "out_lap_cold_tyres_s": model.out_lap_cold_tyres_s,
            "pit_in_racing_s": round(track.pit_in_racing_s, 3),
            "pit_out_racing_s": round(track.pit_out_racing_s, 3),
        },
    }


class Weekend:
    """Runs the sessions of one meeting and writes their records; ``truth`` collects what the truth file needs."""

    def __init__(
        self,
        ctx: WeekendContext,
        meeting: Meeting,
        lineup: list[Entry],
        track: Track,
        writer: LineWriter,
        out: Path,
    ) -> None:
        self.ctx, self.meeting, self.lineup, self.track = ctx, meeting, lineup, track
        self.writer, self.out = writer, out  # light endpoints through ``writer``; telemetry parts under ``out``
        self.grids: dict[str, list[Entry]] = {}
        self.truth: list[dict[str, Any]] = []

    def rng(self, session: Session, topic: str) -> np.random.Generator:
        return stream(self.ctx.seed, "session", self.meeting.round, session.name, topic)

    def write(self, endpoint: str, rows: list[dict[str, Any]], amended: list[dict[str, Any]] | None = None) -> None:
        """``rows`` into the snapshot; with --amend, into the amended snapshot too (``amended`` instead, if given)."""
        self.ctx.counts[endpoint] += self.writer.write(endpoint, rows)
        if self.ctx.amend is not None and endpoint in AMENDED_ENDPOINTS:
            self.ctx.amend.writer.write(endpoint, rows if amended is None else amended)

    def run(self) -> list[dict[str, Any]]:
        for session in self.meeting.sessions:
            self._drivers(session)
            if session.type == "Practice":
                self._session(
                    session, run_practice(session, self.track, self.ctx.model, self.lineup, self.rng(session, "run"))
                )
            elif session.type == "Qualifying":
                outcome = run_qualifying(session, self.track, self.ctx.model, self.lineup, self.rng(session, "run"))
                self.grids[session.name] = outcome.grid
                self._session(session, outcome)
            else:
                self._race(session)
        return self.truth

    # ---- every session ------------------------------------------------------------------------------
    def _drivers(self, session: Session) -> None:
        rows = [
            driver_row(e, self.meeting.meeting_key, session.session_key, self.ctx.season)
            for e in sorted(self.lineup, key=lambda e: e.number)
        ]
        if session.name == "Race":  # quirk: the same driver row twice
            twice = int(self.rng(session, "duplicate").integers(len(rows)))
            rows.insert(twice + 1, dict(rows[twice]))
        self.write("drivers", rows)

    def _weather(self, session: Session, start_ms: int, end_ms: int, rain: list[tuple[int, int]]) -> None:
        self.write(
            "weather", weather_rows(self.rng(session, "weather"), session, self.meeting.circuit, start_ms, end_ms, rain)
        )

    def _telemetry(self, session: Session, anchor_ms: int, traces: list[DriveTrace]) -> None:
        wanted = self.ctx.telemetry == "all" or (self.ctx.telemetry == "races" and session.is_race)
        if not wanted:
            return
        builder = TelemetryBuilder(
            self.track,
            self.ctx.telemetry_hz,
            self.meeting.meeting_key,
            session.session_key,
            anchor_ms,
            self.rng(session, "telemetry"),
        )
        cars = [c for t in sorted(traces, key=lambda t: t.number) if (c := builder.lines(t)) is not None]
        car, where, rows = in_answer_order(cars)
        if not rows:
            return
        with LineWriter(self.out) as writer:
            writer.write_ordered("car_data", str(session.session_key), car, ANSWER_ORDER)
            writer.write_ordered("location", str(session.session_key), where, ANSWER_ORDER)
        self.ctx.counts["car_data"] += rows
        self.ctx.counts["location"] += rows

    # ---- practice and qualifying --------------------------------------------------------------------
    def _session(self, session: Session, outcome: SessionOutcome) -> None:
        m = self.meeting
        lap_rows = LapRows(self.track, m.meeting_key, session.session_key, False, self.rng(session, "laps"))
        best = min((b for log in outcome.logs if (b := log.best()) is not None), default=0)
        laps, stints, deletions = [], [], []
        for log in sorted(outcome.logs, key=lambda log: log.entry.number):
            laps += lap_rows.rows(log.entry.number, **log.arrays(), session_best_ms=best)
            stints += [
                stint_row(
                    m.meeting_key,
                    session.session_key,
                    log.entry.number,
                    s.number,
                    s.compound,
                    s.lap_start,
                    s.lap_end,
                    s.tyre_age_at_start,
                )
                for s in log.stints
            ]
            deletions += [
                (log.entry, i + 1, log.duration[i], log.start[i] + log.duration[i])
                for i, gone in enumerate(log.deleted)
                if gone
            ]
        self.write("laps", laps)
        self.write("stints", stints)
        self.write("session_result", outcome.results)
        if isinstance(outcome, QualifyingOutcome):
            self.write("starting_grid", outcome.grid_rows)
        self.write(
            "race_control",
            session_messages(session, outcome.phases, deletions, m.circuit, self.track, self.rng(session, "control")),
        )
        self._weather(session, session.start_ms, session.end_ms, [])
        on_track = [(log.entry, *log.on_track()) for log in outcome.logs]
        self.write("team_radio", radio_rows(self.rng(session, "radio"), m, session, on_track, 0.5))
        self._telemetry(session, session.start_ms, [log.trace() for log in outcome.logs])
        self.truth.append(
            {"session_key": session.session_key, "session_name": session.name, "session_type": session.type}
        )

    # ---- races and sprints --------------------------------------------------------------------------
    def _race(self, session: Session) -> None:
        ctx, m, events = self.ctx, self.meeting, self.ctx.events
        grand_prix = session.name == "Race"
        grid = self.grids["Qualifying" if grand_prix else "Sprint Qualifying"]
        n_laps = race_laps(m.circuit.length_km, not grand_prix)
        plan_rng = self.rng(session, "plan")
        plan = plan_race(
            plan_rng,
            len(grid),
            n_laps,
            is_sprint=not grand_prix,
            force_neutralisations=grand_prix and m.round == events.neutralised_round,
            dns=grand_prix and m.round == events.dns_round,
            wet=grand_prix and m.round in events.wet_rounds,
            penalty=grand_prix and (m.round == events.neutralised_round or bool(plan_rng.random() < 0.5)),
            disqualify=grand_prix and m.round == events.dsq_round,
        )
        outcome = run_race(session, self.track, ctx.model, grid, plan, n_laps, self.rng(session, "race"))
        result = classify(outcome, ctx.season, self.rng(session, "classify"))
        timing = build_timing(outcome, self.rng(session, "timing"))
        quirks = self._race_laps_and_tyres(session, outcome, result)
        amended = self._amendment(session, outcome, result)
        self.write("session_result", result.rows, amended.rows if amended else None)
        self.write("position", timing.position)
        self.writer.write_lines("intervals", timing.interval_lines)
        ctx.counts["intervals"] += timing.interval_count
        self.write("overtakes", timing.overtakes)
        messages = race_messages(outcome, self.track, m.circuit, result, timing.lapped, self.rng(session, "control"))
        self.write("race_control", messages, messages + amended.messages if amended else None)
        rain = []
        if plan.wet is not None:
            start, end, _ = plan.wet
            rain = [(outcome.leader_lap_start_ms(start) - 60_000, outcome.leader_lap_start_ms(end + 1) - 120_000)]
        self._weather(
            session, session.start_ms - 55 * 60_000, max(session.end_ms, outcome.chequered_ms + 10 * 60_000), rain
        )
        on_track = [(car.entry, outcome.lights_out_ms, car.end_ms or 0) for car in outcome.cars if not car.dns]
        self.write("team_radio", radio_rows(self.rng(session, "radio"), m, session, on_track, 1.0))
        results = {
            car.entry.driver.driver_id: (result.positions[c], result.points[c]) for c, car in enumerate(outcome.cars)
        }
        drivers, teams = ctx.championship.record(
            m.meeting_key, session.session_key, session.name, self.lineup, results, ctx.team_names
        )
        self._championships(session, outcome, drivers, teams, results, amended.rows if amended else None)
        traces = [
            DriveTrace(
                number=car.entry.number,
                lap_start_ms=car.lap_start_ms,
                lap_ms=car.lap_ms,
                kind=car.kind,
                drs_ok=outcome.drs_eligible[c],
                stop_s={lap - 1: s for lap, s in car.stop_s_by_out_lap.items()},
                grid_slot=car.grid,
                session_start_ms=session.start_ms,
                cool_down=True,
                stop_ms=car.stop_ms,
                stop_fraction=car.retirement.fraction if car.retirement else 0.0,
            )
            for c, car in enumerate(outcome.cars)
            if not car.dns
        ]
        self._telemetry(session, outcome.lights_out_ms, traces)
        self.truth.append(self._race_truth(session, outcome, result, quirks))

    def _amendment(self, session: Session, outcome: RaceOutcome, result: Classification) -> _AmendedRace | None:
        """The stewards' post-race decision on this race, if it is the one --amend amends."""
        amend = self.ctx.amend
        if amend is None or session.name != "Race" or self.meeting.round != amend.round:
            return None
        cars = {car.entry.number: car for car in outcome.cars}
        fastest = outcome.cars[result.fastest_lap[0]].entry.number if result.fastest_lap else None
        rng = stream(self.ctx.seed, "amend", self.meeting.round)  # a stream of its own: the first version is unchanged
        amendment = amend_classification(result.rows, self.ctx.season, session.name, amend.kind, fastest, rng)
        before = {row["driver_number"]: row for row in result.rows}
        after = {row["driver_number"]: row for row in amendment.rows}
        messages, decisions = [], []
        for decision in amendment.decisions:
            entry = cars[decision.driver_number].entry
            ms = outcome.chequered_ms + decision.published_after_ms
            text = decision.message(entry.label())
            messages.append(message(session, ms, "Other", text, lap_number=outcome.leader_lap_at(ms)))
            decisions.append(
                {
                    "kind": decision.kind,
                    "driver_id": entry.driver.driver_id,
                    "driver_number": entry.number,
                    "seconds": decision.seconds,
                    "reason": decision.reason,
                    "message": text,
                    "published_at": messages[-1]["date"],
                    "position_before": before[entry.number]["position"],
                    "position_after": after[entry.number]["position"],
                }
            )
        messages.sort(key=lambda row: row["date"])
        amend.race = {
            "round": self.meeting.round,
            "meeting_key": self.meeting.meeting_key,
            "session_key": session.session_key,
            "session_name": session.name,
            "published_at": messages[-1]["date"],
            "decisions": decisions,
            "classification_changes": [
                {"driver_id": cars[change["driver_number"]].entry.driver.driver_id, **change}
                for change in amendment.changes
            ],
        }
        return _AmendedRace(amendment.rows, messages)

    def _championships(
        self,
        session: Session,
        outcome: RaceOutcome,
        drivers: list[dict[str, Any]],
        teams: list[dict[str, Any]],
        results: dict[str, tuple[int | None, float]],
        amended_rows: list[dict[str, Any]] | None,
    ) -> None:
        """The championships after this race; with --amend, the amended snapshot's count the amended result."""
        amend = self.ctx.amend
        if amend is None:
            self.write("championship_drivers", drivers)
            self.write("championship_teams", teams)
            return
        if amended_rows is not None:
            ids = {car.entry.number: car.entry.driver.driver_id for car in outcome.cars}
            results = {ids[row["driver_number"]]: (row["position"], row["points"]) for row in amended_rows}
        m = self.meeting
        amended_drivers, amended_teams = amend.championship.record(
            m.meeting_key, session.session_key, session.name, self.lineup, results, self.ctx.team_names
        )
        if (amended_drivers, amended_teams) != (drivers, teams):
            amend.championship_sessions.append(session.session_key)
        self.write("championship_drivers", drivers, amended_drivers)
        self.write("championship_teams", teams, amended_teams)

    def _race_laps_and_tyres(self, session: Session, outcome: RaceOutcome, result: Classification) -> dict[str, Any]:
        m, ctx = self.meeting, self.ctx
        rng = self.rng(session, "quirks")
        grand_prix = session.name == "Race"
        lap_rows = LapRows(self.track, m.meeting_key, session.session_key, True, self.rng(session, "laps"))
        best = result.fastest_lap[2] if result.fastest_lap else 0
        missing: set[tuple[int, int]] = set()
        null_stint: tuple[int, int] | None = None
        if grand_prix:
            candidates = [c for c, car in enumerate(outcome.cars) if car.laps_completed >= 10]
            for c in rng.choice(candidates, size=min(2, len(candidates)), replace=False):
                car = outcome.cars[int(c)]
                fastest = result.fastest_lap[1] if result.fastest_lap and result.fastest_lap[0] == int(c) else -1
                options = [
                    lap
                    for lap in range(3, car.laps_completed - 1)
                    if car.kind[lap - 1] not in (IN_LAP, OUT_LAP) and lap != fastest
                ]
                if options:
                    missing.add((int(c), int(rng.choice(options))))
            with_stints = [c for c, car in enumerate(outcome.cars) if car.stints]
            car_index = int(rng.choice(with_stints))
            null_stint = (car_index, int(rng.integers(1, len(outcome.cars[car_index].stints) + 1)))
        laps, stints, pits = [], [], []
        order = sorted(range(len(outcome.cars)), key=lambda c: outcome.cars[c].entry.number)
        stop_known = ctx.season >= 2025 or (ctx.season == 2024 and m.round >= _us_gp_round())
        for c in order:
            car = outcome.cars[c]
            number = car.entry.number
            rows = lap_rows.rows(
                number,
                np.arange(1, car.laps_completed + 1),
                car.lap_start_ms,
                car.lap_ms,
                car.extra1_ms,
                car.extra3_ms,
                car.kind,
                best,
            )
            laps += [row for row in rows if (c, row["lap_number"]) not in missing]
            for s in car.stints:
                compound = None if null_stint == (c, s.number) else s.compound
                stints.append(
                    stint_row(
                        m.meeting_key,
                        session.session_key,
                        number,
                        s.number,
                        compound,
                        s.lap_start,
                        s.lap_end,
                        s.tyre_age_at_start,
                    )
                )
            for p in car.pits:
                pits.append(
                    pit_row(
                        m.meeting_key,
                        session.session_key,
                        number,
                        p.lap,
                        p.exit_ms,
                        p.lane_s,
                        p.stop_s if stop_known else None,
                    )
                )
        pits.sort(key=lambda row: row["date"])
        self.write("laps", laps)
        self.write("stints", stints)
        self.write("pit", pits)
        cars = outcome.cars
        return {
            "missing_laps": [{"driver_number": cars[c].entry.number, "lap_number": lap} for c, lap in sorted(missing)],
            "null_compound_stints": []
            if null_stint is None
            else [
                {
                    "driver_number": cars[null_stint[0]].entry.number,
                    "stint_number": null_stint[1],
                    "compound": cars[null_stint[0]].stints[null_stint[1] - 1].compound,
                }
            ],
        }

    def _race_truth(
        self, session: Session, outcome: RaceOutcome, result: Classification, quirks: dict[str, Any]
    ) -> dict[str, Any]:
        cars = outcome.cars

        def who(c: int) -> dict[str, Any]:
            return {"driver_id": cars[c].entry.driver.driver_id, "driver_number": cars[c].entry.number}

        penalty = None
        if result.penalised is not None and outcome.plan.penalty is not None:
            penalty = {
                **who(result.penalised),
                "seconds": 5.0,
                "lap_issued": outcome.plan.penalty[1],
                "reason": outcome.plan.penalty[2],
            }
        fastest = None
        if result.fastest_lap is not None:
            fastest = {
                **who(result.fastest_lap[0]),
                "lap_number": result.fastest_lap[1],
                "lap_duration": result.fastest_lap[2] / 1000,
            }
        return {
            "session_key": session.session_key,
            "session_name": session.name,
            "session_type": session.type,
            "laps": outcome.n_laps,
            "lights_out": iso(outcome.lights_out_ms),
            "sc_laps": outcome.neutral_laps("SC"),
            "vsc_laps": outcome.neutral_laps("VSC"),
            "neutralisations": [
                {"kind": p.kind, "start_lap": p.start_lap, "end_lap": p.end_lap, "caused_by": who(p.car)}
                for p in outcome.periods
            ],
            "wet_laps": [lap for lap in range(1, outcome.n_laps + 1) if outcome.wetness[lap] > 0],
            "retirements": [
                {**who(c), "laps_completed": car.laps_completed, "cause": car.retirement.cause}
                for c, car in enumerate(cars)
                if car.retirement is not None
            ],
            "dns": [who(c) for c, car in enumerate(cars) if car.dns],
            "dsq": [] if result.disqualified is None else [who(result.disqualified)],
            "time_penalty": penalty,
            "fastest_lap": fastest,
            "stints": {
                str(car.entry.number): [[s.compound, s.lap_start, s.lap_end, s.tyre_age_at_start] for s in car.stints]
                for car in cars
            },
            "strategies": {str(car.entry.number): _driven_strategy(car) for car in cars if not car.dns},
            "pit_stops": [
                {
                    **who(c),
                    "in_lap": p.lap,
                    "track_status": _status_name(p.in_status),
                    "out_lap_status": _status_name(p.out_status),
                    "in_lap_factor": round(p.in_factor, 4),
                    "out_lap_factor": round(p.out_factor, 4),
                    "stop_s": round(p.stop_exact_s, 3),
                    "lane_s": round(p.lane_exact_s, 3),
                    "pit_loss_s": round(p.loss_s, 3),
                }
                for c, car in sorted(enumerate(cars), key=lambda item: item[1].entry.number)
                for p in car.pits
            ],
            **quirks,
        }


@dataclass(frozen=True)
class _AmendedRace:
    rows: list[dict[str, Any]]  # session_result after the decisions
    messages: list[dict[str, Any]]  # race control's announcements of them, dated after the race


def _driven_strategy(car: CarRace) -> dict[str, Any]:
    """A car's tyre strategy as driven: the strategy string over the laps it completed, and its parts."""
    return {
        "driver_id": car.entry.driver.driver_id,
        "grid": car.grid,
        "finished": car.finished,
        "laps_completed": car.laps_completed,
        "strategy": ",".join(f"{COMPOUND_INITIALS[s.compound]}:{s.lap_start}-{s.lap_end}" for s in car.stints),
        "compounds": [s.compound for s in car.stints],
        "in_laps": [p.lap for p in car.pits],
        "tyre_ages_at_start": [s.tyre_age_at_start for s in car.stints],
    }


def _status_name(status: str) -> str:
    """The engine's lap status as the warehouse names track status: a safety car's deployment lap is 'sc'."""
    return "sc" if status == "sc_deploy" else status


def _us_gp_round() -> int:
    return next(i for i, c in enumerate(CIRCUITS, start=1) if c.circuit_key == US_GP_CIRCUIT_KEY)
