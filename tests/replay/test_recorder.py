"""The recorder against the replay server serving real OpenF1 snapshots, over real HTTP on loopback.

Recording a served snapshot must give back its records (count and content); reruns must resume; faults,
rate limits and unreachable URLs must be survived or reported. Needs ../shared/openf1-real.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from openf1_replay import recorder, snapshot
from openf1_replay.server import FaultConfig, ReplayServer

ROOT = Path(__file__).resolve().parents[2]
REAL = Path(os.environ.get("OPENF1_SHARED", ROOT.parent / "shared")) / "openf1-real"
ABU_DHABI = "2025-abu-dhabi-race"
SEASON = "2024-season"
CANADA = "2024-canada-location"
Record = dict[str, Any]
pytestmark = pytest.mark.real


def real(folder: str) -> Path:
    path = REAL / folder
    if not path.is_dir():
        pytest.skip(f"real OpenF1 snapshots not found at {path} (set OPENF1_SHARED to the shared folder)")
    return path


@functools.cache
def _records(folder: str, endpoint: str) -> tuple[Record, ...]:
    """A real file's records (cached: read-only)."""
    with gzip.open(real(folder) / f"{endpoint}.jsonl.gz", "rt", encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


def source(folder: str, endpoint: str, keep: Callable[[Record], bool] = lambda r: True) -> list[str]:
    """A real file's records as sorted JSON texts: equal lists mean same count, content and JSON types."""
    return sorted(json.dumps(r) for r in _records(folder, endpoint) if keep(r))


def recorded(out: Path, endpoint: str) -> list[str]:
    return sorted(json.dumps(r) for r in snapshot.iter_records(out, endpoint))


def season_of(folder: str) -> int:
    return int(_records(folder, "sessions")[0]["year"])


def record(server: ReplayServer, folder: str, out: Path, *extra: str) -> int:
    """Run the recorder's command line in-process against ``server``."""
    args = ["--season", str(season_of(folder)), "--out", str(out), "--base-url", server.base_url]
    return recorder.main([*args, "--rate-limit", "0", "--backoff", "0.01", *extra])


def assert_same_as_source(folder: str, out: Path) -> None:
    for endpoint in snapshot.endpoints_in(real(folder)):
        assert recorded(out, endpoint) == source(folder, endpoint), endpoint


def session_parts(out: Path) -> list[Path]:
    """The per-session parts written so far (not meetings/sessions)."""
    return sorted(
        p
        for endpoint in recorder.PER_SESSION_ENDPOINTS
        if (out / endpoint).is_dir()
        for p in (out / endpoint).glob("*.jsonl.gz")
    )


@pytest.fixture(scope="module")
def abu_dhabi() -> Iterator[ReplayServer]:
    with ReplayServer(real(ABU_DHABI), rate_limit=None) as server:
        yield server


@pytest.fixture
def served(abu_dhabi: ReplayServer) -> Iterator[ReplayServer]:
    """The Abu Dhabi server with its request counter, faults and rate limit reset around the test."""
    abu_dhabi.faults = None
    yield abu_dhabi
    abu_dhabi.faults = None
    abu_dhabi.set_rate_limit(None)
    abu_dhabi.state.retry_after = False


# ---------------------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param(ABU_DHABI, id="abu-dhabi"),
        pytest.param(SEASON, id="season-2024", marks=pytest.mark.slow),  # a whole season's round trip
    ],
)
def test_recording_gives_back_the_source(tmp_path: Path, folder: str) -> None:
    with ReplayServer(real(folder), rate_limit=None) as server:
        assert record(server, folder, tmp_path) == 0
    assert_same_as_source(folder, tmp_path)
    sessions = [s["session_key"] for s in _records(folder, "sessions")]
    expected = {(e, f"{key}.jsonl.gz") for e in recorder.PER_SESSION_ENDPOINTS for key in sessions}
    assert {(p.parent.name, p.name) for p in session_parts(tmp_path)} == expected  # empty answers too


def answer(url: str) -> tuple[int, list[str] | bytes]:
    """Status and records as exact JSON texts (or the error body)."""
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, [json.dumps(r) for r in json.loads(response.read())]
    except HTTPError as error:
        return error.code, error.read()


def test_a_recording_replays_like_its_source(tmp_path: Path, served: ReplayServer) -> None:
    """The recorded folder (parts, empty parts) is itself a snapshot the server answers from identically."""
    assert record(served, ABU_DHABI, tmp_path) == 0
    session_key = _records(ABU_DHABI, "sessions")[0]["session_key"]
    queries = dict.fromkeys(recorder.PER_SESSION_ENDPOINTS, f"session_key={session_key}")
    queries.update(meetings=f"year={season_of(ABU_DHABI)}", sessions="session_key=latest")
    with ReplayServer(tmp_path, rate_limit=None) as replay:
        for endpoint, query in queries.items():
            original = answer(f"{served.base_url}/{endpoint}?{query}")
            assert answer(f"{replay.base_url}/{endpoint}?{query}") == original, endpoint


def test_recording_survives_faults(tmp_path: Path, served: ReplayServer) -> None:
    served.faults = FaultConfig(
        seed=3,
        error_rate=0.2,
        burst_429=2,
        truncate_rate=0.2,
        slow_rate=0.1,
        slow_seconds=1.0,
    )
    assert record(served, ABU_DHABI, tmp_path, "--timeout", "0.4", "--retries", "12") == 0
    assert_same_as_source(ABU_DHABI, tmp_path)
    assert served.request_count > 2 + len(recorder.PER_SESSION_ENDPOINTS)  # faults were met and retried


def test_credentials_get_past_session_in_progress(tmp_path: Path) -> None:
    with ReplayServer(real(ABU_DHABI), rate_limit=None, credentials=("fan", "s3cret")) as server:
        server.faults = FaultConfig(session_in_progress_rate=1.0)
        assert record(server, ABU_DHABI, tmp_path, "--username", "fan", "--password", "s3cret") == 0
    assert_same_as_source(ABU_DHABI, tmp_path)


@pytest.mark.parametrize(
    ("client_limit", "retries_expected"),
    [
        pytest.param((5, 1.0), False, id="client-keeps-to-the-limit"),
        pytest.param(None, True, id="server-429s-are-retried"),
    ],
)
def test_rate_limits(
    tmp_path: Path, served: ReplayServer, client_limit: tuple[int, float] | None, retries_expected: bool
) -> None:
    served.set_rate_limit((5, 1.0))
    served.state.retry_after = True
    logs: list[str] = []
    settings = recorder.Settings(
        base_url=served.base_url, out=tmp_path, season=season_of(ABU_DHABI), rate_limit=client_limit, backoff=0.01
    )
    recorder.Recorder(settings, log=logs.append).run()
    assert_same_as_source(ABU_DHABI, tmp_path)
    assert any("HTTP 429" in line for line in logs) == retries_expected


# ---------------------------------------------------------------------------------------------- resuming


def test_rerun_fetches_only_missing_parts(tmp_path: Path, served: ReplayServer) -> None:
    assert record(served, ABU_DHABI, tmp_path) == 0
    parts = session_parts(tmp_path)
    removed = parts[::5]
    for part in removed:
        part.unlink()
    kept = {p: p.stat().st_mtime_ns for p in parts if p not in removed}
    served.faults = None  # restarts the request counter
    assert record(served, ABU_DHABI, tmp_path) == 0
    assert served.request_count == len(removed) + 2  # the missing parts, plus meetings and sessions
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    assert_same_as_source(ABU_DHABI, tmp_path)


@pytest.mark.parametrize(
    ("signum", "returncode"),
    [pytest.param(signal.SIGINT, 130, id="sigint"), pytest.param(signal.SIGKILL, -signal.SIGKILL, id="sigkill")],
)
def test_interrupted_recording_resumes(tmp_path: Path, served: ReplayServer, signum: int, returncode: int) -> None:
    args = ["--season", str(season_of(ABU_DHABI)), "--out", str(tmp_path), "--base-url", served.base_url]
    # A child inherits an ignored SIGINT (pytest started in the background by a shell without job control
    # ignores it, and so would the recorder); a handled one is reset to the default at exec, so Python in the
    # child turns Ctrl-C into KeyboardInterrupt as in a terminal.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "openf1_replay.recorder", *args, "--rate-limit", "4/1"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        deadline = time.monotonic() + 20
        while len(session_parts(tmp_path)) < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(signum)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == returncode
    if signum == signal.SIGINT:
        assert "interrupted: rerun the same command" in err
    done = session_parts(tmp_path)
    assert 3 <= len(done) < len(recorder.PER_SESSION_ENDPOINTS)
    for part in done:  # whatever is visible is whole
        list(snapshot.iter_file(part))
    served.faults = None
    assert record(served, ABU_DHABI, tmp_path) == 0
    assert served.request_count == len(recorder.PER_SESSION_ENDPOINTS) - len(done) + 2
    assert_same_as_source(ABU_DHABI, tmp_path)


# ---------------------------------------------------------------------------------------------- telemetry


def test_telemetry_per_driver_in_windows(tmp_path: Path) -> None:
    """Canada 2024 location for two drivers, recorded in 10-minute windows, gives back those drivers' rows."""
    drivers = (1, 44)
    served_dir = tmp_path / "served"
    served_dir.mkdir()
    (served_dir / "location.jsonl.gz").symlink_to(real(CANADA) / "location.jsonl.gz")
    session_key = _records(CANADA, "location")[0]["session_key"]
    session = next(r for r in _records(SEASON, "sessions") if r["session_key"] == session_key)
    with snapshot.SnapshotWriter(served_dir) as writer:
        writer.write("sessions", [session])
        writer.write(
            "drivers",
            (
                r
                for r in _records(SEASON, "drivers")
                if r["session_key"] == session_key and r["driver_number"] in drivers
            ),
        )
    out = tmp_path / "out"
    with ReplayServer(served_dir, rate_limit=None) as server:
        extra = ["--telemetry", "--endpoints", "drivers,location", "--sessions", str(session_key)]
        assert record(server, SEASON, out, *extra) == 0
    assert recorded(out, "location") == source(CANADA, "location", lambda r: r["driver_number"] in drivers)
    assert sorted(p.name for p in (out / "location").iterdir()) == [f"{session_key}_{d}.jsonl.gz" for d in drivers]


# ---------------------------------------------------------------------------------------------- failures


def test_unreachable_base_url_fails_fast(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    args = ["--season", "2024", "--out", str(tmp_path / "out"), "--base-url", f"http://127.0.0.1:{port}/v1"]
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "openf1_replay.recorder", *args, "--connect-timeout", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 10
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: http://127.0.0.1:{port}/v1 is unreachable (connection refused); ")
    assert "--base-url" in result.stderr
    assert not (tmp_path / "out").exists()


def test_season_without_sessions_is_an_error(tmp_path: Path, served: ReplayServer, capsys: Any) -> None:
    assert recorder.main(["--season", "1999", "--out", str(tmp_path), "--base-url", served.base_url]) == 1
    assert "no sessions for season 1999" in capsys.readouterr().err
