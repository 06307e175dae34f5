"""The live cycles: fetch what is new, load it, rebuild the board's marts, publish them, render the board.

A cycle that brings nothing new costs its requests only (no load, no dbt, no render): a red flag or a quiet
spell idles cheaply. A cycle that fails (the server gone, a 5xx storm) leaves the cursors where they were and
the next one asks again from there, so nothing is lost and nothing stored twice. Every cycle appends one JSON
line to the cycle log (times, requests, rows, the newest record per endpoint) that ``make bench-live`` reads.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from live import session as sessions
from live.load import LiveLoader
from live.mqtt import MqttFeed, MqttSettings
from live.publish import board_tables, live_copy_path, publish_board
from live.records import SessionRecords, parse_time
from live.rest import LIVE_ENDPOINTS, TELEMETRY_ENDPOINTS, RestFeed
from openf1_api import AuthenticationError, OpenF1Client, OpenF1Error, SessionInProgressError

BOARD_SELECTOR = "live_board"
STRATEGY_SELECTOR = "live_strategy"
# the cycles skip the staging views and seeds (views read the raw tables as they are); a warehouse that never had
# a build gets the ones the board reads once, first
FIRST_BUILD = ["--select", "+tag:board,config.materialized:view +tag:board,resource_type:seed"]
GIVE_UP_AFTER_S = 1800.0  # the server unanswering this long (real seconds): stop, say so
AFTER_FINISH = timedelta(minutes=30)  # at most this long (server time) following a finished session to its end


class LiveError(Exception):
    """A reason the live run cannot go on, in one line with the fix."""


@dataclass
class LiveOptions:
    warehouse: Path
    published: Path  # the main published copy; the board's copy sits beside it (live.publish)
    board: Path  # the board page
    dbt_target: Path  # dbt's artefacts for live builds, apart from the main build's record
    session: str = "latest"
    transport: str = "rest"
    mqtt: MqttSettings | None = None
    telemetry: bool = False
    poll_s: float = 3.0  # seconds between the starts of two fetches (OpenF1 caches answers 3 s)
    wait_poll_s: float = 30.0  # before the session starts
    red_flag_poll_s: float = 10.0
    strategy_every: int = 10  # the strategy marts: every this many cycles with new laps, and at the end
    rest_every: int = 20  # MQTT: a REST fetch every this many cycles too (QoS 0 may drop a message unseen)
    refresh_s: int = 5  # the board's meta refresh
    cycle_log: Path | None = None
    max_cycles: int | None = None  # tests: stop after this many cycles
    say: Callable[[str], None] = field(default=lambda line: print(line, flush=True))


@dataclass
class CycleFigures:
    number: int
    fetch_started: float
    requests: int = 0
    new_records: int = 0
    loaded: dict[str, int] = field(default_factory=dict)
    load_s: float = 0.0
    dbt_s: float = 0.0
    strategy: bool = False
    publish_s: float = 0.0
    render_s: float = 0.0
    board_written: float | None = None
    cpu_s: float = 0.0
    phase: str = ""
    newest: dict[str, str] = field(default_factory=dict)
    problem: str = ""


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class LiveRun:
    def __init__(self, options: LiveOptions, client: OpenF1Client | None) -> None:
        self.options, self.client = options, client
        self.endpoints = LIVE_ENDPOINTS + (TELEMETRY_ENDPOINTS if options.telemetry else ())
        self.followed: sessions.Followed | None = None
        self.records: SessionRecords | None = None
        self.feed: RestFeed | None = None
        self.mqtt: MqttFeed | None = None
        self.loader: LiveLoader | None = None
        self.dbt: Any = None
        self.cycles = 0
        self.cycles_with_laps = 0
        self.board_ready = False
        self.finished_seen_at: datetime | None = None

    # -- setup ---------------------------------------------------------------------------------------------------
    def follow(self) -> sessions.Followed:
        assert self.client is not None, "set the client first"
        self.followed = sessions.find_session(self.client, self.options.session)
        self.records = SessionRecords(self.followed.key)
        self.feed = RestFeed(self.client, self.records, self.endpoints)
        return self.followed

    def prepare_build(self) -> None:
        """Parse the dbt project once for the whole run (the cycles reuse it) and open the pipeline."""
        from transform.runner import Dbt, DbtFailed

        self.loader = LiveLoader(self.options.warehouse)
        self.dbt = Dbt("dev", self.options.dbt_target)
        try:
            self.dbt.parse()
        except DbtFailed as error:
            raise LiveError(f"dbt could not parse the project ({error}); fix it, then make live again") from None

    def start_mqtt(self) -> None:
        if self.options.transport != "mqtt":
            return
        if self.options.mqtt is None:
            raise LiveError("TRANSPORT=mqtt needs a broker: set OPENF1_MQTT_URL (e.g. mqtts://mqtt.openf1.org:8883)")
        if not self.client.has_credentials:
            raise LiveError("TRANSPORT=mqtt needs an OpenF1 account: set OPENF1_USERNAME and OPENF1_PASSWORD")
        self.mqtt = MqttFeed(self.options.mqtt, self.client, self.endpoints)
        self.mqtt.start()

    # -- the run -------------------------------------------------------------------------------------------------
    def run(self) -> sessions.Phase:
        """Follow the session until it is over (or ``max_cycles``); returns the phase it ended in."""
        assert self.followed is not None and self.records is not None and self.feed is not None
        say = self.options.say
        self.wait_for_start()
        say(f"{self.followed.label} is running: following it over {self.options.transport.upper()}")
        self.start_mqtt()
        failing_since: float | None = None
        failures = 0
        finishing = False
        phase = sessions.Phase.RUNNING
        while True:
            started = time.monotonic()
            figures = self.cycle(final=finishing)
            phase = sessions.Phase(figures.phase) if figures.phase else phase
            if figures.problem:
                failures += 1
                failing_since = failing_since or started
                if time.monotonic() - failing_since > GIVE_UP_AFTER_S:
                    raise LiveError(f"{figures.problem} for {GIVE_UP_AFTER_S / 60:.0f} min: stopping; make live again")
            else:
                failures, failing_since = 0, None
            self._log(figures)
            say(self._line(figures))
            if phase is sessions.Phase.FINISHED and not figures.problem:
                if finishing:
                    return phase
                # what comes after the flag (weather, stewards' notes) until the timetable's end, then one more
                # cycle with the strategy marts: the hand-over build then fetches the session complete
                finishing = self._past_timetable()
                if finishing:
                    continue
            if self.options.max_cycles is not None and self.cycles >= self.options.max_cycles:
                return phase
            pause = self.options.red_flag_poll_s if phase is sessions.Phase.RED_FLAG else self.options.poll_s
            if failures:
                pause = min(30.0, max(pause, 2.0**failures))
            time.sleep(max(0.0, started + pause - time.monotonic()))

    def _past_timetable(self) -> bool:
        """After the finish: whether the server's clock has passed the session's scheduled end (at most
        ``AFTER_FINISH`` after the finish was seen; at once when the server gives no clock)."""
        assert self.followed is not None
        now = self.client.server_now() if self.client is not None else None
        if now is None:
            return True
        if self.finished_seen_at is None:
            self.finished_seen_at = now
            end = parse_time(self.followed.session.get("date_end"))
            if end is not None and end > now:
                self.options.say(
                    f"  finished: following until the timetable's end, {end.isoformat(timespec='minutes')}"
                )
        end = parse_time(self.followed.session.get("date_end"))
        return now >= min(end or now, self.finished_seen_at + AFTER_FINISH)

    def wait_for_start(self) -> None:
        """Poll race control, laps and the drivers until the session runs: cheap while it is far off."""
        assert self.followed is not None and self.records is not None and self.feed is not None
        said = False
        while True:
            try:
                self.feed.fetch(("race_control", "laps", "position", "drivers"))
            except (SessionInProgressError, AuthenticationError):
                raise
            except OpenF1Error as error:
                self.options.say(f"waiting: {error}")
            if sessions.phase(self.records, self.client.server_now()) is not sessions.Phase.WAITING:
                return
            if not said:
                self.options.say(f"waiting for {self.followed.label} to start (scheduled {self._schedule_note()})")
                said = True
            time.sleep(self.options.wait_poll_s)

    def _schedule_note(self) -> str:
        assert self.followed is not None
        start, now = self.followed.scheduled_start, self.client.server_now()
        if start is None:
            return "at an unknown time"
        if now is None:
            return start.isoformat(timespec="minutes")
        minutes = (start - now).total_seconds() / 60
        when = f"in {minutes:.0f} min" if minutes >= 0 else f"{-minutes:.0f} min ago"
        return (
            f"{start.isoformat(timespec='minutes')}, {when} by the server's clock; following its status, not the clock"
        )

    def cycle(self, final: bool = False) -> CycleFigures:
        assert self.followed is not None and self.records is not None and self.feed is not None
        self.cycles += 1
        figures = CycleFigures(number=self.cycles, fetch_started=time.time())
        cpu = _cpu_s()
        requests_before = self.feed.requests
        try:
            figures.new_records = self.fetch()
        except (SessionInProgressError, AuthenticationError):
            raise
        except OpenF1Error as error:
            figures.problem = str(error)
        figures.requests = self.feed.requests - requests_before
        phase = sessions.phase(self.records, self.client.server_now(), self.followed.session)
        figures.phase = phase.value
        changed = self.records.take_changed()
        parents = None
        if not self.board_ready:
            parents = (self.followed.meeting, self.followed.session)
        if changed or parents is not None or final:
            new_laps = "laps" in changed
            if new_laps:
                self.cycles_with_laps += 1
            strategy = final or (new_laps and (self.cycles_with_laps - 1) % self.options.strategy_every == 0)
            try:
                self.rebuild(figures, changed, parents, strategy, final)
            except (SessionInProgressError, AuthenticationError):
                raise
            except Exception as error:  # dbt, the copy, the page: one line, and the next cycle tries again
                self.records.mark_all_changed()
                figures.problem = error.args[0] if isinstance(error, LiveError) else _one_line(repr(error))
        figures.cpu_s = _cpu_s() - cpu
        figures.newest = {
            name: str(self.records.newest(name, "date_start" if name == "laps" else "date"))
            for name in self.records.endpoints
            if self.records.count(name)
        }
        return figures

    def fetch(self) -> int:
        assert self.feed is not None and self.records is not None
        if self.mqtt is None:
            extra = ("drivers",) if self.cycles % self.options.rest_every == 0 else ()
            return self.feed.fetch((*self.endpoints, *extra))
        new = sum(self.records.merge_message(name, message) for name, message in self.mqtt.drain())
        problem = self.mqtt.take_problem()
        if problem:
            self.options.say(f"  {problem}")
        if self.mqtt.take_backfill():  # connected again: what was published meanwhile is lost to MQTT
            self.options.say("  MQTT connected: fetching what is new over REST (messages are not kept for us)")
            new += self.feed.fetch()
        elif self.cycles % self.options.rest_every == 0:
            new += self.feed.fetch((*self.endpoints, "drivers"))
        return new

    def rebuild(
        self,
        figures: CycleFigures,
        changed: dict[str, list[dict[str, Any]]],
        parents: tuple[dict[str, Any], dict[str, Any]] | None,
        strategy: bool,
        final: bool = False,
    ) -> None:
        assert self.loader is not None and self.followed is not None
        started = time.monotonic()
        try:
            self.loader.load(self.followed.key, changed, parents)
        except Exception as error:
            raise LiveError(f"the live load failed ({_one_line(error)})") from None
        figures.loaded = {name: len(rows) for name, rows in changed.items()}
        figures.load_s = time.monotonic() - started
        started = time.monotonic()
        # the first and the last board wait for the strategy marts they read; in between the strategy chain runs
        # after the board is out, so its seconds never hold a board back (the next board shows what it found)
        before = [FIRST_BUILD] if not self.board_ready else []
        if not self.board_ready or (strategy and final):
            before.append(["--selector", STRATEGY_SELECTOR])
        for selection in [*before, ["--selector", BOARD_SELECTOR]]:
            self._dbt(selection)
        figures.strategy = any(STRATEGY_SELECTOR in selection for selection in before)
        figures.dbt_s = time.monotonic() - started
        started = time.monotonic()
        live_copy = live_copy_path(self.options.published)
        try:
            publish_board(self.options.warehouse, board_tables(self.options.dbt_target / "manifest.json"), live_copy)
        except Exception as error:
            raise LiveError(f"the board's marts could not be copied to {live_copy} ({_one_line(error)})") from None
        figures.publish_s = time.monotonic() - started
        started = time.monotonic()
        from reports.board import render_board

        try:
            render_board(live_copy, self.options.board, self.followed.key, self.options.refresh_s)
        except Exception as error:
            raise LiveError(f"the board {self.options.board} could not be written ({_one_line(error)})") from None
        figures.render_s = time.monotonic() - started
        figures.board_written = time.time()
        if strategy and not figures.strategy and self.board_ready:
            started = time.monotonic()
            self._dbt(["--selector", STRATEGY_SELECTOR])
            figures.strategy, figures.dbt_s = True, figures.dbt_s + time.monotonic() - started
        self.board_ready = True

    def _dbt(self, selection: list[str]) -> None:
        try:
            run = self.dbt.build_selected(selection, allow_empty=selection is FIRST_BUILD)
        except Exception as error:  # DbtFailed: no node could run (the warehouse cannot be opened, …)
            raise LiveError(f"dbt build {' '.join(selection)} could not run ({_one_line(error)})") from None
        if not run.passed:
            failed = run.failures[0] if run.failures else None
            what = f"{failed.name}: {failed.message}" if failed else run.error
            raise LiveError(f"dbt build {' '.join(selection)} failed ({_one_line(what)})")

    def close(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()
        if self.loader is not None:
            self.loader.close()

    # -- reporting -----------------------------------------------------------------------------------------------
    def _log(self, figures: CycleFigures) -> None:
        if self.options.cycle_log is None:
            return
        self.options.cycle_log.parent.mkdir(parents=True, exist_ok=True)
        with self.options.cycle_log.open("a") as log:
            log.write(json.dumps(figures.__dict__, default=str) + "\n")

    def _line(self, figures: CycleFigures) -> str:
        assert self.records is not None
        lap = self.records.newest("laps", "lap_number")
        parts = [f"cycle {figures.number}", f"lap {lap}" if lap else "no lap yet", figures.phase]
        if figures.problem:
            parts.append(f"problem: {figures.problem}")
        elif figures.board_written is None:
            parts.append(f"nothing new ({figures.requests} requests)")
        else:
            parts.append(
                f"{figures.new_records} new records, {figures.requests} requests; load {figures.load_s:.1f} s, "
                f"dbt {figures.dbt_s:.1f} s{' (with strategy)' if figures.strategy else ''}, publish "
                f"{figures.publish_s:.1f} s, board {figures.render_s:.1f} s"
            )
        return " · ".join(parts)


def _one_line(error: object) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 240 else text[:237] + "..."
