"""The one OpenF1 client (openf1_api) and its policy, over real HTTP against the replay server on loopback.

Its faults and limits stand in for api.openf1.org's: 429 storms with and without Retry-After, 5xx, a session
in progress (401 unless a valid token is sent). The loader and the recorder both use this client.
"""

from __future__ import annotations

import ast
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import openf1_api
from openf1_api import (
    AUTHENTICATE_OR_WAIT,
    AuthenticationError,
    OpenF1Client,
    OpenF1Error,
    RateLimiter,
    RetryPolicy,
    SessionInProgressError,
    UnreachableError,
    windows,
)
from openf1_replay import recorder
from openf1_replay.server import FaultConfig, ReplayServer
from openf1_replay.snapshot import SnapshotWriter
from tests.conftest import ROOT, run_module
from tests.loader.test_pipeline import table_counts

SESSION = 9001
START = datetime(2025, 3, 16, 4, 0, tzinfo=UTC)
LABEL = "snapshot warehouse/samples/tiny"
QUICK = RetryPolicy(max_attempts=3, backoff_s=0.01, max_backoff_s=0.05, timeout_s=5, connect_timeout_s=2)
LAPS = [
    {"session_key": SESSION, "meeting_key": 1, "driver_number": d, "lap_number": n, "lap_duration": 90.0 + n}
    for d in (1, 44)
    for n in (1, 2, 3)
]
CAR_DATA = [
    {
        "session_key": SESSION,
        "meeting_key": 1,
        "driver_number": 1,
        "date": f"2025-03-16T04:{m:02d}:00+00:00",
        "speed": m,
    }
    for m in range(0, 60, 5)
]


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny snapshot: one session, two drivers, a few laps, some car data."""
    folder = tmp_path_factory.mktemp("tiny")
    session = {
        "session_key": SESSION,
        "meeting_key": 1,
        "year": 2025,
        "session_name": "Race",
        "session_type": "Race",
        "date_start": START.isoformat(),
        "date_end": (START + timedelta(hours=2)).isoformat(),
        "is_cancelled": False,
    }
    with SnapshotWriter(folder) as writer:
        writer.write("sessions", [session])
        writer.write("meetings", [{"meeting_key": 1, "year": 2025, "meeting_name": "Tiny Grand Prix"}])
        writer.write("drivers", [{"session_key": SESSION, "meeting_key": 1, "driver_number": d} for d in (1, 44)])
        writer.write("laps", LAPS)
        writer.write("car_data", CAR_DATA, part=str(SESSION))
    return folder


@pytest.fixture(scope="module")
def tiny_server(snapshot_dir: Path) -> Iterator[ReplayServer]:
    with ReplayServer(snapshot_dir, rate_limit=None) as server:
        yield server


@pytest.fixture
def served(tiny_server: ReplayServer) -> Iterator[ReplayServer]:
    """The tiny server with its faults, rate limit and Retry-After reset around the test."""
    tiny_server.faults = None
    yield tiny_server
    tiny_server.faults = None
    tiny_server.set_rate_limit(None)
    tiny_server.state.retry_after = False


def client(server: ReplayServer, retry: RetryPolicy = QUICK, **options: Any) -> OpenF1Client:
    """A client with the client-side rate limit off (as against loopback) and no credentials unless given."""
    options.setdefault("username", "")
    options.setdefault("password", "")
    return OpenF1Client(server.base_url, rate_limit=RateLimiter(0), retry=retry, source_label=LABEL, **options)


def laps_of(records: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in records)


# ------------------------------------------------------------------------------------------------ answers


def test_answers_records_bytes_and_empty_results(served: ReplayServer) -> None:
    api = client(served)
    assert laps_of(api.get("laps", {"session_key": SESSION})) == laps_of(LAPS)
    assert api.get("laps", {"session_key": 1}) == []  # 404 "No results found." is empty
    raw = api.get_raw("car_data", [("session_key", "=", SESSION), ("date", ">=", "2025-03-16T04:30:00+00:00")])
    assert isinstance(raw, bytes)
    assert [r["speed"] for r in json.loads(raw)] == [r["speed"] for r in CAR_DATA if r["speed"] >= 30]
    assert api.get_raw("car_data", {"session_key": 1}) == b"[]"


# ------------------------------------------------------------------------------------------------ 429


@pytest.mark.parametrize("method", ["get", "get_raw"])
def test_a_429_storm_is_waited_out_with_the_client_limit_off(served: ReplayServer, method: str) -> None:
    """Far more 429s in a row than the attempts allowed for failures: all waited out, then the answer."""
    served.faults = FaultConfig(burst_429=4 * QUICK.max_attempts)
    answer = getattr(client(served), method)("laps", {"session_key": SESSION})
    records = json.loads(answer) if method == "get_raw" else answer
    assert laps_of(records) == laps_of(LAPS)
    assert served.request_count == 4 * QUICK.max_attempts + 1


def test_a_server_rate_limit_is_waited_out_by_several_threads(served: ReplayServer) -> None:
    """The server allows 5 requests a second and sends no Retry-After; three threads ask without a limit of
    their own (as the loader's telemetry workers against loopback): every request gets its answer."""
    served.set_rate_limit((5, 1.0))
    api = client(served, RetryPolicy(max_attempts=2, backoff_s=0.05, max_backoff_s=0.5))
    answers: list[list[dict[str, Any]]] = []
    errors: list[Exception] = []

    def ask() -> None:
        for _ in range(6):
            try:
                answers.append(api.get("laps", {"session_key": SESSION}))
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(answers) == 18 and all(laps_of(a) == laps_of(LAPS) for a in answers)
    assert api.retries > 0, "the server's limit should have answered 429"


def test_retry_after_is_honoured_beyond_the_backoff_cap(served: ReplayServer) -> None:
    """The server's Retry-After (1 s) wins over the client's own backoff, even when that is capped far lower."""
    served.faults = FaultConfig(burst_429=1)
    served.state.retry_after = True
    notes: list[str] = []
    started = time.monotonic()
    assert laps_of(client(served, notify=notes.append).get("laps", {"session_key": SESSION})) == laps_of(LAPS)
    assert time.monotonic() - started >= 0.95
    assert len(notes) == 1 and "HTTP 429" in notes[0] and "Retry-After" in notes[0]


def test_429s_are_bounded_by_the_time_waited(served: ReplayServer) -> None:
    served.faults = FaultConfig(burst_429=10_000)
    patience = RetryPolicy(backoff_s=0.02, max_backoff_s=0.05, rate_limited_s=0.3)
    with pytest.raises(OpenF1Error) as stopped:
        client(served, patience).get("laps", {"session_key": SESSION})
    message = str(stopped.value)
    assert message.startswith(f"{LABEL}: laps?session_key={SESSION} still rate-limited (HTTP 429)")
    assert "\n" not in message
    assert served.request_count > patience.max_attempts  # not cut short by the attempts for failures


# ------------------------------------------------------------------------------------------------ failures


def test_messages_name_the_source_label_not_the_servers_port(served: ReplayServer) -> None:
    served.faults = FaultConfig(error_rate=1.0)
    with pytest.raises(OpenF1Error) as failing:
        client(served).get("laps", {"session_key": SESSION})
    message = str(failing.value)
    assert message.startswith(f"{LABEL}: laps?session_key={SESSION} still failing after 3 attempts (HTTP 50")
    assert str(served.port) not in message and "127.0.0.1" not in message
    assert served.request_count == QUICK.max_attempts


def test_an_unreachable_host_is_one_line_naming_the_fix() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    api = OpenF1Client(
        f"http://127.0.0.1:{port}/v1", retry=QUICK, source_label=LABEL, unreachable_fix="load SOURCE=sample"
    )
    started = time.monotonic()
    with pytest.raises(UnreachableError) as unreachable:
        api.get("sessions")
    assert str(unreachable.value) == f"{LABEL} is unreachable (connection refused); load SOURCE=sample"
    assert time.monotonic() - started < QUICK.backoff_s * 10  # at once, not after retries


# ------------------------------------------------------------------------------------------------ 401


def test_401_during_a_live_session_without_credentials_says_authenticate_or_wait(served: ReplayServer) -> None:
    served.faults = FaultConfig(session_in_progress=1000)
    with pytest.raises(SessionInProgressError) as refused:
        client(served).get("laps", {"session_key": SESSION})
    assert str(refused.value) == f"{LABEL} refused laps (401: a session is live); {AUTHENTICATE_OR_WAIT}"
    assert served.request_count == 1  # not retried: waiting seconds does not end a session


def test_the_recorder_stops_on_a_live_session_in_one_line(
    served: ReplayServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served.faults = FaultConfig(session_in_progress=1000)
    argv = ["--season", "2025", "--out", str(tmp_path / "out"), "--base-url", served.base_url, "--rate-limit", "0"]
    assert recorder.main([*argv, "--username", "", "--password", ""]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"error: {served.base_url} refused meetings (401: a session is live); {AUTHENTICATE_OR_WAIT}"
    ]
    assert not (tmp_path / "out").exists()


def test_an_expired_token_is_refreshed_once(snapshot_dir: Path) -> None:
    """The client holds a token the server no longer accepts (here: the server restarted, as a token that
    expired on the server's clock): the 401 gets a new token and the request goes through."""
    credentials = ("fan", "s3cret")
    with ReplayServer(snapshot_dir, rate_limit=None, credentials=credentials) as first:
        port = first.port
        api = client(first, username="fan", password="s3cret")
        assert laps_of(api.get("laps", {"session_key": SESSION})) == laps_of(LAPS)
    api.session.close()  # the restart drops the connections too
    with ReplayServer(snapshot_dir, port=port, rate_limit=None, credentials=credentials) as second:
        second.faults = FaultConfig(session_in_progress_rate=1.0)  # no valid token, no answer
        assert laps_of(api.get("laps", {"session_key": SESSION})) == laps_of(LAPS)
        assert second.request_count == 2  # refused once with the old token, answered with the new one


def test_refused_credentials_are_one_line(snapshot_dir: Path) -> None:
    with (
        ReplayServer(snapshot_dir, rate_limit=None, credentials=("fan", "s3cret")) as server,
        pytest.raises(AuthenticationError) as refused,
    ):
        client(server, username="fan", password="wrong").get("laps", {"session_key": SESSION})
    assert str(refused.value).startswith(f"{LABEL} refused the credentials in OPENF1_USERNAME/OPENF1_PASSWORD")
    assert "\n" not in str(refused.value)


# ------------------------------------------------------------------------------------------------ one client


def test_loader_and_recorder_share_one_client(tmp_path: Path) -> None:
    from dlt_pipelines import openf1 as loader_source
    from dlt_pipelines.openf1 import telemetry

    settings = recorder.Settings(base_url="http://127.0.0.1:9/v1", out=tmp_path, season=2025)
    assert type(recorder.Recorder(settings).client) is openf1_api.OpenF1Client
    assert loader_source.OpenF1Client is openf1_api.OpenF1Client
    start, end = START, START + timedelta(hours=2)
    assert telemetry.session_requests(SESSION, [1], start, end, timedelta(minutes=10)) == openf1_api.telemetry_queries(
        SESSION, 1, start, end, timedelta(minutes=10)
    )


def _imports(folder: Path) -> dict[str, set[str]]:
    """Every module each Python file of ``folder`` imports."""
    found = {}
    for path in folder.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_no_package_reaches_into_another() -> None:
    """openf1_api imports neither the loader nor the replay package; the loader uses only the snapshot format of
    the replay package; the replay package has no HTTP client of its own."""
    for path, names in _imports(ROOT / "openf1_api").items():
        assert not {n for n in names if n.split(".")[0] in ("dlt_pipelines", "openf1_replay")}, path
    for path, names in _imports(ROOT / "dlt_pipelines").items():
        assert {n for n in names if n.startswith("openf1_replay")} <= {"openf1_replay.snapshot"}, path
    for path, names in _imports(ROOT / "openf1_replay").items():
        assert not names & {"urllib.request", "requests", "http.client"}, path


def test_windows_tile_the_session_with_margins() -> None:
    end = START + timedelta(hours=2)
    tiles = windows(START, end, timedelta(minutes=10))
    assert tiles[0][0] == START - timedelta(minutes=60) and tiles[-1][1] == end + timedelta(minutes=30)
    assert all(high == low for (_, high), (low, _) in itertools.pairwise(tiles))
    assert len(tiles) == 21


# ------------------------------------------------------------------------------------------------ the loader


@pytest.mark.slow
def test_the_loader_waits_out_429s_with_forced_telemetry_windows(snapshot_dir: Path, tmp_path: Path) -> None:
    """Issue: against a replay server with the client-side limit off (loopback) and forced telemetry windows,
    the load died with 'still failing after 6 attempts (HTTP 429)'. More 429s than that now wait and load."""
    with ReplayServer(snapshot_dir, rate_limit=None, retry_after=True) as server:
        server.faults = FaultConfig(burst_429=8)
        result = run_module(
            "dlt_pipelines.pipeline",
            *("--source", server.base_url, "--warehouse", str(tmp_path / "w.duckdb")),
            *("--endpoints", "laps,car_data", "--telemetry", "--telemetry-window-minutes", "30"),
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    counts = table_counts(tmp_path / "w.duckdb")
    assert (counts["laps"], counts["car_data"]) == (len(LAPS), len(CAR_DATA))


def test_clear_window_waits_until_no_request_is_inside_the_budget_window() -> None:
    """make live hands over to make build only once its requests are out of the window: the build counts its own."""
    limiter = RateLimiter(3, 0.5)
    limiter.wait()
    limiter.wait()
    sent = time.monotonic()
    waited = limiter.clear_window()
    assert time.monotonic() - sent >= 0.5 and 0.3 < waited <= 0.61
    assert limiter.clear_window() == 0.0  # nothing sent since
    assert RateLimiter(0).clear_window() == 0.0  # no limit, nothing to wait for
