"""The loader against a misbehaving OpenF1: each fault mode of the replay server is survived with nothing lost.

The server runs as its own process (python -m openf1_replay.server) and the loader talks to it over HTTP, as
it would to api.openf1.org. Each faulty load must end with exactly the rows of a clean load.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, die_with_parent, real_snapshot, run_module, stop_process
from tests.loader.test_pipeline import table_counts

PIPELINE = "dlt_pipelines.pipeline"
# each test loads a snapshot end to end through a faulty server, waiting out its retries: make test runs them
pytestmark = pytest.mark.slow


@contextmanager
def replay_server(snapshot: Path, *args: str) -> Iterator[str]:
    """The replay server in a process of its own; always stopped (killed if SIGTERM does not do it within 10 s),
    and stopped by Linux if pytest dies. Its log goes to a file: a pipe nobody reads would fill and stall it."""
    command = [sys.executable, "-m", "openf1_replay.server", "--snapshot", str(snapshot), "--port", "0", "--quiet"]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [*command, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=die_with_parent
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("serving "):
                log.seek(0)
                pytest.fail(f"the replay server did not start: {log.read().strip() or line}")
            threading.Thread(target=process.stdout.read, daemon=True).start()  # never let its stdout fill up
            yield line.rsplit(" at ", 1)[1].strip()
        finally:
            stop_process(process)


@pytest.fixture(scope="module")
def snapshot() -> Path:
    return real_snapshot("2025-abu-dhabi-race")


@pytest.fixture(scope="module")
def clean_counts(snapshot: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    warehouse = tmp_path_factory.mktemp("clean") / "w.duckdb"
    result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    return table_counts(warehouse)


@pytest.mark.parametrize(
    ("faults", "client_args"),
    [
        pytest.param("error_rate=0.3,seed=3", [], id="5xx-answers"),
        pytest.param("burst_429=4,burst_every=9,seed=1", [], id="429-bursts"),
        pytest.param("slow_rate=0.15,slow_seconds=2,seed=2", ["--timeout", "1"], id="slow-past-timeout"),
        pytest.param("truncate_rate=0.3,seed=4", [], id="truncated-bodies"),
        pytest.param("changed_type=laps.lap_duration|weather.air_temperature", [], id="changed-field-type"),
    ],
)
def test_fault_is_survived_with_nothing_lost(
    faults: str, client_args: list[str], snapshot: Path, clean_counts: dict[str, int], tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    with replay_server(snapshot, "--rate-limit", "0", "--faults", faults) as url:
        result = run_module(PIPELINE, "--source", url, "--warehouse", str(warehouse), *client_args)
    assert result.returncode == 0, result.stderr
    assert table_counts(warehouse) == clean_counts
    if "changed_type" not in faults:
        assert " 0 retried" not in result.stdout, "the fault should have forced retries"


def test_changed_type_values_are_coerced_not_lost(snapshot: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with replay_server(snapshot, "--rate-limit", "0", "--faults", "changed_type=laps.lap_duration") as url:
        result = run_module(PIPELINE, "--source", url, "--warehouse", str(warehouse), "--endpoints", "laps")
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        timed = connection.execute("select count(lap_duration) from raw_openf1.laps").fetchone()[0]
    from openf1_replay.snapshot import iter_records

    assert timed == sum(1 for r in iter_records(snapshot, "laps") if r.get("lap_duration") is not None)


def test_server_rate_limit_is_never_hit_by_the_client_limit(tmp_path: Path) -> None:
    """With the server limiting like OpenF1 (30 per 10 s, no Retry-After) the client's own limiter keeps it
    under: no 429 is ever answered, so no request is retried."""
    season = real_snapshot("2024-season")
    warehouse = tmp_path / "w.duckdb"
    with replay_server(season, "--rate-limit", "30/10") as url:
        result = run_module(
            PIPELINE,
            "--source",
            url,
            "--warehouse",
            str(warehouse),
            "--season",  # a request per meeting and endpoint: 25 meetings, two endpoints
            "2024",
            "--endpoints",
            "drivers,session_result",
            "--rate-limit",
            "30/10",
        )
    assert result.returncode == 0, result.stderr
    requests = int(result.stdout.split(" requests")[0].rsplit(" ", 1)[1])
    assert requests > 30, "the test needs more requests than one window allows"
    assert " 0 retried" in result.stdout


def test_session_in_progress_stops_with_advice_and_loads_nothing(snapshot: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with replay_server(snapshot, "--rate-limit", "0", "--faults", "session_in_progress=1000") as url:
        result = run_module(PIPELINE, "--source", url, "--warehouse", str(warehouse), timeout=60)
    assert result.returncode == 1
    assert "authenticate (OPENF1_USERNAME/OPENF1_PASSWORD) or wait until the session ends" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not warehouse.exists()


def test_credentials_get_a_bearer_token_past_session_in_progress(
    snapshot: Path, clean_counts: dict[str, int], tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    server_args = ["--rate-limit", "0", "--faults", "session_in_progress=1000", "--username", "fan", "--password", "pw"]
    with replay_server(snapshot, *server_args) as url:
        result = run_module(
            PIPELINE,
            "--source",
            url,
            "--warehouse",
            str(warehouse),
            env={"OPENF1_USERNAME": "fan", "OPENF1_PASSWORD": "pw"},
        )
    assert result.returncode == 0, result.stderr
    assert table_counts(warehouse) == clean_counts


@pytest.fixture(scope="module")
def simulated_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated rounds with race telemetry (0.5 Hz), for the telemetry path (shared fetch + parse workers)."""
    snapshot = tmp_path_factory.mktemp("simulated") / "snapshot"
    made = run_module(
        "openf1_replay.simulator",
        *("--season", "2024", "--rounds", "2", "--seed", "5", "--telemetry", "races", "--telemetry-hz", "0.5"),
        *("--out", str(snapshot)),
    )
    assert made.returncode == 0, made.stderr
    return snapshot


def test_faulty_telemetry_answers_are_survived_with_nothing_lost(simulated_snapshot: Path, tmp_path: Path) -> None:
    clean, faulty = tmp_path / "clean.duckdb", tmp_path / "faulty.duckdb"
    result = run_module(PIPELINE, "--source", str(simulated_snapshot), "--warehouse", str(clean), "--telemetry")
    assert result.returncode == 0, result.stderr
    with replay_server(simulated_snapshot, "--rate-limit", "0", "--faults", "error_rate=0.2,truncate_rate=0.2") as url:
        result = run_module(PIPELINE, "--source", url, "--warehouse", str(faulty), "--telemetry")
    assert result.returncode == 0, result.stderr
    assert " 0 retried" not in result.stdout, "the faults should have forced retries"
    counts = table_counts(faulty)
    assert counts == table_counts(clean)
    assert counts["car_data"] > 0 and counts["location"] > 0


def test_a_telemetry_answer_that_keeps_failing_stops_the_load(simulated_snapshot: Path, tmp_path: Path) -> None:
    """One session's location file is corrupt past its first records: the server answers 500 for it every
    time, so the load stops after its retries with a one-line error, other requests cancelled, nothing hung."""
    broken = tmp_path / "snapshot"
    shutil.copytree(simulated_snapshot, broken)
    files = sorted((broken / "location").glob("*.jsonl.gz"))
    lines = gzip.decompress(files[0].read_bytes()).splitlines(keepends=True)
    files[0].write_bytes(gzip.compress(b"".join(lines[:600]) + b"{not json\n" + b"".join(lines[600:])))
    started = time.monotonic()
    result = run_module(
        PIPELINE,
        *("--source", str(broken), "--warehouse", str(tmp_path / "w.duckdb"), "--telemetry"),
        *("--endpoints", "car_data,location", "--quiet"),
    )
    assert result.returncode != 0
    assert "still failing after" in result.stderr and "HTTP 500" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert time.monotonic() - started < 120
