"""The live API's wait: the requests the loader needs for a snapshot's season from OpenF1 itself, and their time
at the free tier's 30 requests per 10 s. ``python -m bench.requests SNAPSHOT`` prints one JSON line.

The loader runs against the snapshot's replay server with OpenF1's request pattern (``--telemetry-window-minutes
10``: telemetry per driver in ten-minute windows, as the loader asks OpenF1; no client-side rate limit, so the
count takes seconds, not hours), and its summary gives the requests it sent:

- ``light``: every endpoint but telemetry, the whole season, with the season's scope (``--season``) a user
  gives; measured.
- telemetry: a season of windows is tens of thousands of requests (minutes even against the replay server), so
  the loader runs it for one meeting (``check``: the requests it sent against the plan below for that meeting,
  which must be equal), and the season's figure is the loader's own plan (``source.session_window``,
  ``telemetry.session_requests``) over every session and its listed drivers: the drivers list, then one
  request per driver and window, for car_data and for location.

Telemetry is planned for every session whether the snapshot holds telemetry for it or not: OpenF1 has it for
every session, and the loader cannot know before asking.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from dlt_pipelines.openf1 import catalogue, telemetry
from dlt_pipelines.openf1.source import session_window
from openf1_api import windows
from openf1_replay import snapshot

FREE_TIER = (30, 10.0)  # requests per seconds
WINDOW_MINUTES = 10.0  # the loader's default for OpenF1 itself (dlt_pipelines.pipeline._telemetry_window)
_SUMMARY = re.compile(r"; (\d+) requests, (\d+) retried\.")


def _load(source: Path, warehouse: Path, *options: str) -> int:
    """Run the loader; the requests its summary says it sent (retries included: none against a replay server)."""
    command = [sys.executable, "-m", "dlt_pipelines.pipeline", "--source", str(source), "--warehouse", str(warehouse)]
    command += ["--telemetry-window-minutes", f"{WINDOW_MINUTES:g}", "--rate-limit", "0", "--quiet", *options]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = _SUMMARY.search(done.stdout)
    if done.returncode != 0 or found is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"the loader failed on {source} ({' '.join(options)}): {' / '.join(tail)}")
    return int(found.group(1))


def _sessions(root: Path) -> list[dict[str, Any]]:
    return [s for s in snapshot.iter_records(root, "sessions") if not s.get("is_cancelled") and s.get("session_key")]


def _drivers(root: Path) -> dict[int, list[int | None]]:
    listed: dict[int, set[int]] = {}
    for row in snapshot.iter_records(root, "drivers"):
        if row.get("driver_number") is not None:
            listed.setdefault(row["session_key"], set()).add(row["driver_number"])
    return {key: sorted(numbers) for key, numbers in listed.items()}


def telemetry_plan(root: Path, sessions: list[dict[str, Any]]) -> dict[int, int]:
    """Requests per session for car_data and location in windows: the loader's plan once drivers are listed."""
    drivers = _drivers(root)
    window = timedelta(minutes=WINDOW_MINUTES)
    plan: dict[int, int] = {}
    for session in sessions:
        key = session["session_key"]
        start, end = session_window(session)
        per_endpoint = 1 + len(telemetry.session_requests(key, drivers.get(key, []), start, end, window))
        plan[key] = per_endpoint * len(catalogue.TELEMETRY)
    return plan


def scheduled_windows(root: Path, sessions: list[dict[str, Any]]) -> int:
    """The telemetry windows (per driver, both endpoints) inside the sessions' scheduled hours alone: what the
    plan would be without its margins (an hour before, half an hour after: laps to the grid, in-laps)."""
    drivers, size = _drivers(root), timedelta(minutes=WINDOW_MINUTES)
    count = 0
    for session in sessions:
        start, end = session_window(session)
        tiles = windows(start, end, size, before=timedelta(0), after=timedelta(0))
        count += len(tiles) * len(drivers.get(session["session_key"], [])) * len(catalogue.TELEMETRY)
    return count


def wait_s(requests: int) -> float:
    """Seconds ``requests`` take at the free tier's rate."""
    count, seconds = FREE_TIER
    return requests / count * seconds


def measure(root: Path | str, work: Path | str | None = None) -> dict[str, Any]:
    """The requests of a season from OpenF1 and their wait; keys: ``light_requests``, ``telemetry_requests``,
    ``requests``, ``light_wait_s``, ``telemetry_wait_s``, ``wait_s``, ``wait_h``, ``sessions``, ``meetings``,
    ``light_requests_per_session_pattern`` (one request per session and endpoint, the pattern before issue 21),
    ``telemetry_driver_lists`` (of the telemetry requests, the drivers lists), ``telemetry_scheduled_windows``
    (the windows inside the sessions' scheduled hours: the rest are the margins), ``window_minutes``, ``rate``
    and ``check`` (one meeting's telemetry: ``meeting_key``, ``sent``, ``planned``)."""
    root = Path(root)
    sessions = _sessions(root)
    years = sorted({s["year"] for s in sessions if s.get("year") is not None})
    meetings = sorted({s["meeting_key"] for s in sessions if s.get("meeting_key") is not None})
    scope = ["--season", str(years[0])] if len(years) == 1 else []
    plan = telemetry_plan(root, sessions)
    with tempfile.TemporaryDirectory(dir=work, prefix="requests-") as scratch:
        light = _load(root, Path(scratch) / "light.duckdb", *scope)
        # one meeting's telemetry for real: the first one with a race (its drivers listed)
        meeting = next(s["meeting_key"] for s in sessions if s.get("session_type") == "Race")
        options = ["--meeting", str(meeting), "--telemetry", "--endpoints", ",".join(catalogue.TELEMETRY)]
        sent = _load(root, Path(scratch) / "telemetry.duckdb", *options)
    discovery = 2  # sessions and meetings of the meeting
    planned = sum(plan[s["session_key"]] for s in sessions if s["meeting_key"] == meeting)
    tele = sum(plan.values())
    light_endpoints = [e for e, spec in catalogue.ENDPOINTS.items() if spec.per_session and not spec.telemetry]
    return {
        "sessions": len(sessions),
        "meetings": len(meetings),
        "window_minutes": WINDOW_MINUTES,
        "rate": f"{FREE_TIER[0]}/{FREE_TIER[1]:g}s",
        "light_requests": light,
        "light_requests_per_session_pattern": 2 + len(sessions) * len(light_endpoints),
        "telemetry_requests": tele,
        "telemetry_driver_lists": len(sessions) * len(catalogue.TELEMETRY),
        "telemetry_scheduled_windows": scheduled_windows(root, sessions),
        "requests": light + tele,
        "light_wait_s": round(wait_s(light), 1),
        "telemetry_wait_s": round(wait_s(tele), 1),
        "wait_s": round(wait_s(light + tele), 1),
        "wait_h": round(wait_s(light + tele) / 3600, 2),
        "check": {"meeting_key": meeting, "sent": sent - discovery, "planned": planned},
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m bench.requests SNAPSHOT")
    print(json.dumps(measure(sys.argv[1])))
