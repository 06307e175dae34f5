"""Record an OpenF1-compatible API into a snapshot folder, resumably.

    python -m openf1_replay.recorder --season 2024 --out snapshots/2024 [--base-url https://api.openf1.org/v1]
        [--telemetry] [--rate-limit 30/10] [--sessions 9472,9480] [--endpoints laps,stints]

What it writes (with ``snapshot.SnapshotWriter``, so every file appears whole or not at all):

* ``meetings/<season>.jsonl.gz`` and ``sessions/<season>.jsonl.gz``: fetched again on every run (two requests),
  so a rerun during a season picks up new sessions;
* ``<endpoint>/<session_key>.jsonl.gz`` for every per-session endpoint and every non-cancelled session;
* with ``--telemetry``, ``car_data|location/<session_key>_<driver_number>.jsonl.gz``, fetched in
  ``--window-minutes`` windows from ``--margin-before`` minutes before the session's date_start to
  ``--margin-after`` minutes after its date_end (cars run before the start: formation laps, the grid).

A part that exists is skipped, so rerunning the same command resumes an interrupted recording. An empty
answer (404 "No results found.") is written as an empty part. Requests go through ``openf1_api``, the client
the loader uses too, with its one policy: ``--rate-limit`` kept, 429s waited out, 5xx, timeouts and cut
answers retried ``--retries`` times, an expired token renewed, and a 401 during a live session without
credentials stopping the recording ("authenticate or wait until the session ends").
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from openf1_api import (
    DEFAULT_BASE_URL,
    EndpointNotFound,
    OpenF1Client,
    OpenF1Error,
    Query,
    RateLimiter,
    Record,
    RetryPolicy,
    telemetry_queries,
)
from openf1_replay import snapshot

SCHEDULE_ENDPOINTS = ("meetings", "sessions")
PER_SESSION_ENDPOINTS = tuple(
    e for e in snapshot.ENDPOINTS if e not in SCHEDULE_ENDPOINTS and e not in snapshot.TELEMETRY_ENDPOINTS
)


class RecorderError(RuntimeError):
    """A failure that ends the recording; the message says what and how to go on."""


@dataclass(frozen=True)
class Settings:
    base_url: str
    out: Path
    season: int
    telemetry: bool = False
    rate_limit: tuple[int, float] | None = (30, 10.0)
    timeout: float = 60.0
    connect_timeout: float = 5.0
    retries: int = 8
    backoff: float = 1.0
    max_backoff: float = 60.0
    window_minutes: float = 10.0
    margin_before_minutes: float = 60.0
    margin_after_minutes: float = 30.0
    sessions: frozenset[int] | None = None
    endpoints: tuple[str, ...] = PER_SESSION_ENDPOINTS + snapshot.TELEMETRY_ENDPOINTS
    credentials: tuple[str, str] | None = None


def client_for(settings: Settings, log: Callable[[str], None]) -> OpenF1Client:
    """The shared OpenF1 client with the recorder's settings; its retries are logged."""
    count, seconds = settings.rate_limit or (0, 1.0)
    username, password = settings.credentials or ("", "")
    return OpenF1Client(
        settings.base_url,
        rate_limit=RateLimiter(count, seconds),
        retry=RetryPolicy(
            max_attempts=settings.retries + 1,
            backoff_s=settings.backoff,
            max_backoff_s=settings.max_backoff,
            timeout_s=settings.timeout,
            connect_timeout_s=settings.connect_timeout,
        ),
        username=username,
        password=password,
        unreachable_fix="check --base-url and the network",
        notify=log,
        user_agent="openf1-replay-recorder/0.1",
    )


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass
class Summary:
    written: int = 0
    skipped: int = 0
    records: int = 0
    missing_endpoints: set[str] = field(default_factory=set)


class Recorder:
    """Walks the season's schedule and writes every part not yet in the snapshot folder."""

    def __init__(self, settings: Settings, log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.client = client_for(settings, self.log)
        self.summary = Summary()

    def _path(self, endpoint: str, part: str) -> Path:
        return self.settings.out / endpoint / f"{part}.jsonl.gz"

    def _record_part(self, endpoint: str, part: str, fetch: Callable[[], list[Record]]) -> int | None:
        """Write ``endpoint/part`` unless it exists; the number of records written, None if skipped."""
        if endpoint in self.summary.missing_endpoints:
            return None
        if self._path(endpoint, part).exists():
            self.summary.skipped += 1
            return None
        try:
            records = fetch()
        except EndpointNotFound as missing:
            self.summary.missing_endpoints.add(endpoint)
            self.log(f"  {missing}: skipping {endpoint} for this run")
            return None
        with snapshot.SnapshotWriter(self.settings.out) as writer:
            count = writer.write(endpoint, records, part=part)
        self.summary.written += 1
        self.summary.records += count
        return count

    def _schedule(self) -> list[Record]:
        """The season's meetings and sessions, fetched before the output folder is made (a wrong --base-url
        or --season leaves nothing behind) and written whole."""
        season = self.settings.season
        schedule = {endpoint: self.client.get(endpoint, {"year": season}) for endpoint in SCHEDULE_ENDPOINTS}
        sessions = schedule["sessions"]
        if not sessions:
            raise RecorderError(f"no sessions for season {season} at {self.client.source_label}; check --season")
        self.settings.out.mkdir(parents=True, exist_ok=True)
        with snapshot.SnapshotWriter(self.settings.out) as writer:
            for endpoint, records in schedule.items():
                writer.write(endpoint, records, part=str(season))
        chosen = [
            s
            for s in sessions
            if s.get("is_cancelled") is not True
            and (self.settings.sessions is None or s.get("session_key") in self.settings.sessions)
        ]
        return sorted(chosen, key=lambda s: (str(s.get("date_start") or ""), s.get("session_key") or 0))

    def _drivers(self, session_key: int) -> list[int]:
        path = self._path("drivers", str(session_key))
        records = (
            list(snapshot.iter_file(path))
            if path.exists()
            else self.client.get("drivers", {"session_key": session_key})
        )
        return sorted({r["driver_number"] for r in records if isinstance(r.get("driver_number"), int)})

    def _telemetry(self, session: Record) -> None:
        key = session["session_key"]
        endpoints = [e for e in snapshot.TELEMETRY_ENDPOINTS if e in self.settings.endpoints]
        start, end = _parse_time(session.get("date_start")), _parse_time(session.get("date_end"))
        if not endpoints:
            return
        if start is None or end is None:
            self.log(f"  {key}: no date_start/date_end, telemetry skipped")
            return
        size = timedelta(minutes=self.settings.window_minutes)
        before = timedelta(minutes=self.settings.margin_before_minutes)
        after = timedelta(minutes=self.settings.margin_after_minutes)
        for driver in self._drivers(key):
            queries = telemetry_queries(key, driver, start, end, size, before, after)
            for endpoint in endpoints:

                def fetch(endpoint: str = endpoint, queries: list[Query] = queries) -> list[Record]:
                    return [record for query in queries for record in self.client.get(endpoint, query)]

                self._record_part(endpoint, f"{key}_{driver}", fetch)

    def _session(self, key: int) -> None:
        for endpoint in PER_SESSION_ENDPOINTS:
            if endpoint in self.settings.endpoints:
                query = {"session_key": key}
                self._record_part(endpoint, str(key), lambda e=endpoint, q=query: self.client.get(e, q))

    def run(self) -> Summary:
        sessions = self._schedule()
        for number, session in enumerate(sessions, start=1):
            key = session.get("session_key")
            if not isinstance(key, int):
                continue
            written, skipped, records = self.summary.written, self.summary.skipped, self.summary.records
            self._session(key)
            if self.settings.telemetry:
                self._telemetry(session)
            place = session.get("location") or session.get("circuit_short_name") or ""
            self.log(
                f"[{number}/{len(sessions)}] {key} {place} {session.get('session_name') or ''}: "
                f"{self.summary.written - written} parts written ({self.summary.records - records} records), "
                f"{self.summary.skipped - skipped} already there"
            )
        return self.summary


# ------------------------------------------------------------------------------------------------- CLI


def _rate_limit(text: str) -> tuple[int, float] | None:
    if text.strip().lower() in ("0", "off", "none"):
        return None
    count, _, seconds = text.partition("/")
    try:
        limit = (int(count), float(seconds or 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad rate limit {text!r}: use REQUESTS/SECONDS such as 30/10") from None
    return limit if limit[0] > 0 and limit[1] > 0 else None


def _keys(text: str) -> frozenset[int]:
    try:
        return frozenset(int(key) for key in text.split(",") if key.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad session keys {text!r}: use 9472,9480") from None


def _endpoints(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [n for n in names if n not in PER_SESSION_ENDPOINTS + snapshot.TELEMETRY_ENDPOINTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown endpoints {', '.join(unknown)}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m openf1_replay.recorder",
        description="Record a season of an OpenF1-compatible API into a snapshot folder (rerun to resume).",
    )
    parser.add_argument("--season", type=int, required=True, help="year to record, e.g. 2024")
    parser.add_argument("--out", type=Path, required=True, help="snapshot folder to write (created if needed)")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help=f"API base URL (default {DEFAULT_BASE_URL})")
    parser.add_argument("--telemetry", action="store_true", help="also record car_data and location (large)")
    parser.add_argument("--rate-limit", type=_rate_limit, default=(30, 10.0), help="REQUESTS/SECONDS (0 = off)")
    parser.add_argument("--sessions", type=_keys, default=None, help="only these session keys (comma-separated)")
    parser.add_argument("--endpoints", type=_endpoints, default=None, help="only these per-session endpoints")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for an answer (default 60)")
    parser.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to reach the API (default 5)")
    parser.add_argument("--retries", type=int, default=8, help="retries per request (default 8)")
    parser.add_argument("--backoff", type=float, default=1.0, help="first retry delay in seconds, doubled each time")
    parser.add_argument("--window-minutes", type=float, default=10.0, help="telemetry window (default 10)")
    parser.add_argument("--margin-before", type=float, default=60.0, help="telemetry minutes before date_start")
    parser.add_argument("--margin-after", type=float, default=30.0, help="telemetry minutes after date_end")
    parser.add_argument("--username", default=os.environ.get("OPENF1_USERNAME"), help="(or env OPENF1_USERNAME)")
    parser.add_argument("--password", default=os.environ.get("OPENF1_PASSWORD"), help="(or env OPENF1_PASSWORD)")
    return parser


def settings_from_args(argv: Sequence[str] | None = None) -> Settings:
    args = _parser().parse_args(argv)
    return Settings(
        base_url=args.base_url,
        out=args.out,
        season=args.season,
        telemetry=args.telemetry,
        rate_limit=args.rate_limit,
        timeout=args.timeout,
        connect_timeout=args.connect_timeout,
        retries=args.retries,
        backoff=args.backoff,
        window_minutes=args.window_minutes,
        margin_before_minutes=args.margin_before,
        margin_after_minutes=args.margin_after,
        sessions=args.sessions,
        endpoints=args.endpoints or Settings.endpoints,
        credentials=(args.username, args.password) if args.username and args.password else None,
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    settings = settings_from_args(argv)
    try:
        recorder = Recorder(settings)
    except OpenF1Error as error:  # a --base-url that is no URL
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    previous = signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        summary = recorder.run()
    except (RecorderError, OpenF1Error) as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted: rerun the same command to resume into {settings.out}", file=sys.stderr, flush=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(
        f"recorded season {settings.season} into {settings.out}: {summary.written} parts written "
        f"({summary.records} records), {summary.skipped} already there, {recorder.client.requests_sent} requests "
        f"in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
