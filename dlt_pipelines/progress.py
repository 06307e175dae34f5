"""The loader's progress on stderr: a line per session fetched, and the run's requests against its plan.

On a terminal the requests show as a bar (tqdm) with their rate and the time left; otherwise (CI logs, a
pipe) as a plain line at every tenth of the plan and at least once a minute, so a log stays readable.

The plan is exact for every endpoint but telemetry from OpenF1 itself, which is asked per driver and time
window: until a session's drivers are listed its telemetry counts ``DRIVERS_ESTIMATE`` drivers, and the plan
says it is an estimate ("~") until every session's list is in.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

from tqdm import tqdm

from dlt_pipelines.openf1 import catalogue
from dlt_pipelines.openf1.source import session_window
from dlt_pipelines.openf1.state import Due
from openf1_api import windows

DRIVERS_ESTIMATE = 20  # a Formula 1 field
PLAIN_STEPS = 10  # a plain line at every tenth of the plan
PLAIN_EVERY_S = 60.0  # and at least this often while requests go out
TICK_S = 0.5


def planned_requests(session: dict[str, Any], endpoint: str, window: timedelta | None) -> tuple[int, bool]:
    """(requests, is it an estimate) to fetch ``endpoint`` of ``session``: one (shared by the meeting's sessions,
    see ``RunProgress.expect``), but telemetry in time windows takes one for the drivers list, then one per
    driver and window (DRIVERS_ESTIMATE drivers until listed)."""
    if not catalogue.get(endpoint).telemetry or window is None:
        return 1, False
    start, end = session_window(session)
    return 1 + DRIVERS_ESTIMATE * len(windows(start, end, window)), True


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def _width(stream: TextIO) -> dict[str, Any]:
    """Follow the terminal's width; 100 columns for one that reports none (a bare pseudo-terminal)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):
        columns = 0
    return {"dynamic_ncols": True} if columns else {"ncols": 100}


class RequestMeter:
    """Requests answered against the plan; ``answered`` counts them (read from the client every TICK_S)."""

    def __init__(self, answered: Callable[[], int], stream: TextIO, interactive: bool) -> None:
        self.answered = answered
        self.stream = stream
        self.interactive = interactive
        self._planned: dict[tuple[int, str], int] = {}
        self._estimated: set[tuple[int, str]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm | None = None
        self._base = 0
        self._started = 0.0
        self._last_line = 0.0
        self._next_step = 1

    def plan(self, session: dict[str, Any], endpoint: str, requests: int, estimated: bool = False) -> None:
        key = (session["session_key"], endpoint)
        with self._lock:
            self._planned[key] = requests
            if estimated:
                self._estimated.add(key)
            else:
                self._estimated.discard(key)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._planned.values())

    @property
    def estimated(self) -> bool:
        with self._lock:
            return bool(self._estimated)

    def describe_plan(self) -> str:
        """'~868 requests planned (telemetry counted at 20 drivers a session until its drivers are listed)'."""
        if not self.estimated:
            return f"{self.total} requests planned"
        return (
            f"~{self.total} requests planned (telemetry counted at {DRIVERS_ESTIMATE} drivers a session until "
            "its drivers are listed)"
        )

    def done(self) -> int:
        return max(0, self.answered() - self._base)

    def start(self) -> None:
        self._base = self.answered()
        self._started = self._last_line = time.monotonic()
        if self.interactive:
            self._bar = tqdm(
                total=self.total, unit=" requests", desc="Requests", file=self.stream, **_width(self.stream)
            )
        self._thread = threading.Thread(target=self._tick, name="load-progress", daemon=True)
        self._thread.start()

    def write(self, line: str) -> None:
        """A line above the bar (or a plain line)."""
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            self._update()

    def _update(self, final: bool = False) -> None:
        done, total = self.done(), self.total
        if self._bar is not None:
            if self._bar.n >= self._bar.total and done == self._bar.n and not final:
                return  # all answered (dlt loads what came): the rate and time stay those of the requests
            self._bar.total = max(total, done)
            self._bar.n = done
            self._bar.set_description("Requests (~ planned)" if self.estimated else "Requests", refresh=False)
            self._bar.refresh()
            return
        now = time.monotonic()
        step = done * PLAIN_STEPS // total if total else PLAIN_STEPS
        due = step >= self._next_step or (now - self._last_line >= PLAIN_EVERY_S and done)
        if final or (due and done < total):  # the last line says "in 4 min" instead of "0 s left"
            self._next_step = step + 1
            self._last_line = now
            print(self.line(done, total, now - self._started, final), file=self.stream, flush=True)

    def line(self, done: int, total: int, seconds: float, final: bool = False) -> str:
        """'requests 312/~868 (36%), 3.1 a second, about 3 min left' (plain output)."""
        rate = done / seconds if seconds > 0 else 0.0
        of = f"{'~' if self.estimated else ''}{max(total, done)}"
        share = f" ({100 * done // total}%)" if total else ""
        if final:
            return f"  requests {done}/{of}{share} in {_duration(seconds)}, {rate:.1f} a second"
        left = f", about {_duration((total - done) / rate)} left" if rate and total > done else ""
        return f"  requests {done}/{of}{share}, {rate:.1f} a second{left}"

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self._update(final=True)
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@dataclass
class RunProgress:
    """A line per session fetched, the requests meter, and the counts the summary prints (``LoadProgress``)."""

    quiet: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    rows: Counter[str] = field(default_factory=Counter)
    skipped_sessions: int = 0
    fetched_sessions: int = 0
    results_again: Counter[Due] = field(default_factory=Counter)  # sessions whose results are fetched again, by why
    meter: RequestMeter | None = None
    _pending: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    _notes: dict[int, str] = field(default_factory=dict)
    _session_rows: Counter[int] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def measure(self, answered: Callable[[], int]) -> RequestMeter:
        """The meter of this run's requests (a bar on a terminal, plain lines otherwise)."""
        self.meter = RequestMeter(answered, self.stream, interactive=self.stream.isatty())
        return self.meter

    def expect(
        self,
        session: dict[str, Any],
        endpoints: set[str],
        window: timedelta | None,
        note: str = "",
        shared: frozenset[str] = frozenset(),
    ) -> None:
        """``endpoints`` of ``session`` are to be fetched; ``note`` ends its progress line (what and why);
        ``shared``: endpoints fetched by the request of another session of the same meeting (none of its own)."""
        self._pending[session["session_key"]] = set(endpoints)
        if note:
            self._notes[session["session_key"]] = note
        if self.meter is not None:
            for endpoint in endpoints:
                if endpoint in shared:
                    self.meter.plan(session, endpoint, 0)
                else:
                    self.meter.plan(session, endpoint, *planned_requests(session, endpoint, window))

    def requests_known(self, session: dict[str, Any], endpoint: str, requests: int) -> None:
        if self.meter is not None:
            self.meter.plan(session, endpoint, requests)

    def fetched(self, session: dict[str, Any], endpoint: str, rows: int) -> None:
        """One endpoint of a session fetched (called from dlt's worker threads for telemetry)."""
        key = session["session_key"]
        with self._lock:
            self._session_rows[key] += rows
            self._pending[key].discard(endpoint)
            if self._pending[key]:
                return
            self.fetched_sessions += 1
            note = f"  ({self._notes[key]})" if key in self._notes else ""
            self.say(f"    {session.get('session_name', '?'):<18} {key:>6}  {self._session_rows[key]:>10,} rows{note}")

    def say(self, line: str) -> None:
        if self.quiet:
            return
        if self.meter is not None and self.meter.interactive:
            self.meter.write(line)
        else:
            print(line, file=self.stream, flush=True)
