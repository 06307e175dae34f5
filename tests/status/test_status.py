"""``make status``: the warehouse's state in a few lines, read without taking or waiting for the build's lock.

Fast cases on scratch files (before the first build, a held working file, sources that answer or not, credentials
never printed: the real HTTP path against the replay server); slow ones on the built sample, each line checked
against the files it reads.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from openf1_replay.server import ReplayServer
from openf1_replay.snapshot import SnapshotWriter
from serving import buildlock
from tests.conftest import ROOT, run_module

SAMPLE = "warehouse/samples/season-2025-r4-s7-hz1"
HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()"


def make_status(*variables: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "status", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def status(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """``python -m status`` on scratch paths under ``tmp_path`` (plus ``args``): its lines by label."""
    base = [
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--published",
        str(tmp_path / "published" / "w.duckdb"),
        "--dbt-target",
        str(tmp_path / "target"),
    ]
    done = run_module("status", *base, *args, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return by_label(done.stdout)


def by_label(output: str) -> dict[str, str]:
    lines = {}
    for text in output.splitlines():
        label, _, rest = text.partition("  ")
        lines[label] = rest.strip()
    return lines


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tiny_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of one meeting and one session: enough for the source probe's request."""
    folder = tmp_path_factory.mktemp("tiny-snapshot")
    meeting = {"meeting_key": 1, "year": 2025, "meeting_name": "Test Grand Prix", "date_start": "2025-03-14T01:00:00"}
    session = {
        "session_key": 11,
        "meeting_key": 1,
        "year": 2025,
        "session_name": "Race",
        "session_type": "Race",
        "circuit_short_name": "Testring",
        "date_start": "2025-03-16T04:00:00+00:00",
        "date_end": "2025-03-16T06:00:00+00:00",
    }
    with SnapshotWriter(folder) as writer:
        writer.write("meetings", [meeting])
        writer.write("sessions", [session])
    return folder


# ---- before the first build ------------------------------------------------------------------------------


def test_before_the_first_build_every_line_says_what_to_run(tmp_path: Path) -> None:
    warehouse = tmp_path / "fresh.duckdb"
    done = make_status(f"WAREHOUSE={warehouse}")
    assert done.returncode == 0, done.stderr
    lines = by_label(done.stdout)
    hint = f"run make build WAREHOUSE={warehouse}"
    assert lines["Warehouse"] == f"no warehouse yet at {warehouse}: {hint}"
    assert lines["Last build"].startswith("none yet") and lines["Last build"].endswith(hint)
    assert lines["Published"].startswith("no published copy yet at ") and lines["Published"].endswith(hint)
    assert lines["Source"].startswith(f"sample snapshot {SAMPLE}: ")
    assert "Provisional" not in lines and done.stderr == ""


def test_on_bigquery_it_says_in_one_line_that_it_reads_duckdb_only() -> None:
    done = make_status("DESTINATION=bigquery")
    assert done.returncode == 0, done.stderr
    lines = by_label(done.stdout)
    assert lines["Warehouse"].startswith("BigQuery (DESTINATION=bigquery): make status reads DuckDB files only")
    assert set(lines) == {"Warehouse", "Last build", "Source"}


# ---- the working file held by another process ------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "said"),
    [
        pytest.param([sys.executable, "-c", HOLD], "held by PID", id="another-program"),
        pytest.param(
            [
                sys.executable,
                "-c",
                HOLD.replace("import duckdb, sys", "import duckdb, sys; role = ' dlt_pipelines.pipeline '"),
            ],
            "being built by PID",
            id="a-build",
        ),
    ],
)
def test_a_held_working_file_names_its_holder_and_the_rest_still_shows(
    tmp_path: Path, command: list[str], said: str
) -> None:
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema raw_openf1; create table raw_openf1.sessions as select 2025 as year, 1 as meeting_key")
    con.close()
    holder = subprocess.Popen([*command, str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        lines = status(tmp_path, "--source", "sample", "--load-from", SAMPLE)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert lines["Warehouse"].startswith(f"{warehouse}: {said} {holder.pid} ("), lines
    assert lines["Source"].startswith(f"sample snapshot {SAMPLE}: complete"), "the other lines still come"
    assert "Last load" not in lines
    building = said == "being built by PID"
    assert lines["Last build"].startswith(
        "none yet: the first build is running" if building else "none yet (no dbt run"
    )


def test_a_build_holding_the_lock_is_named_without_opening_the_working_file(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    lock = tmp_path / ".w.build-lock"
    descriptor = buildlock.acquire(lock, "make build")
    try:
        # a writer that cannot share the file: had status opened it, the build's next step would find it in use
        with duckdb.connect(str(warehouse)) as writer:
            writer.execute("select 1")
            lines = status(tmp_path, "--build-lock", str(lock), "--source", "sample", "--load-from", SAMPLE)
    finally:
        os.close(descriptor)
    assert lines["Warehouse"].startswith(f"{warehouse}: being built by PID {os.getpid()} (make build, since "), lines
    assert lines["Last build"].startswith("none yet: the first build is running")


# ---- the source ----------------------------------------------------------------------------------------------


def test_a_closed_loopback_port_does_not_answer(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    lines = status(tmp_path, "--source", url, "--load-from", url, env={"OPENF1_USERNAME": ""})
    assert lines["Source"] == (
        f"{url}: does not answer (connection refused: start that server or give another SOURCE);"
        " no credentials (OPENF1_USERNAME unset)"
    )


def test_the_replay_server_answers_with_its_latest_session(tmp_path: Path, tiny_snapshot: Path) -> None:
    with ReplayServer(tiny_snapshot, rate_limit=None) as server:
        lines = status(tmp_path, "--load-from", server.base_url, env={"OPENF1_USERNAME": ""})
    assert lines["Source"].startswith(f"{server.base_url}: answers in ")
    assert "(latest session 11: 2025 Testring Race); no credentials (OPENF1_USERNAME unset)" in lines["Source"]


PASSWORD = "pa55-w0rd-never-shown"


@pytest.mark.parametrize(
    ("password", "said"),
    [
        pytest.param(PASSWORD, "authenticated as fan", id="good"),
        pytest.param(PASSWORD + "-wrong", "credentials of fan refused (HTTP 401)", id="refused"),
    ],
)
def test_credentials_are_named_by_username_and_never_printed(
    tmp_path: Path, tiny_snapshot: Path, password: str, said: str
) -> None:
    with ReplayServer(tiny_snapshot, rate_limit=None, credentials=("fan", PASSWORD)) as server:
        url = server.base_url.replace("http://", f"http://fan:{password}@")  # credentials in the URL too
        done = run_module(
            "status",
            *("--warehouse", str(tmp_path / "w.duckdb"), "--published", str(tmp_path / "p.duckdb")),
            *("--dbt-target", str(tmp_path), "--load-from", url),
            env={"OPENF1_USERNAME": "fan", "OPENF1_PASSWORD": password},
        )
        tokens = list(server.state.tokens._tokens)  # the tokens it issued: none may be printed either
    assert done.returncode == 0, done.stderr
    assert said in by_label(done.stdout)["Source"]
    for secret in (PASSWORD, password, *tokens):
        assert secret not in done.stdout + done.stderr
    assert len(tokens) == (1 if password == PASSWORD else 0)


def test_an_interrupted_simulation_or_recording_is_incomplete(tmp_path: Path, tiny_snapshot: Path) -> None:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(tiny_snapshot, snapshot)
    assert status(tmp_path, "--load-from", str(snapshot))["Source"].startswith(f"snapshot {snapshot}: complete")
    (snapshot / ".laps.jsonl.gz.tmp").write_bytes(b"")
    assert "1 half-written files" in status(tmp_path, "--load-from", str(snapshot))["Source"]
    (snapshot / ".laps.jsonl.gz.tmp").unlink()
    (snapshot / "sessions.jsonl.gz").unlink()
    assert status(tmp_path, "--load-from", str(snapshot))["Source"].endswith(
        "incomplete, no sessions (a load finds nothing without them)"
    )
    sample = tmp_path / "sample"
    shutil.copytree(tiny_snapshot, sample)
    lines = status(tmp_path, "--source", "sample", "--load-from", str(sample))  # no .complete: make sample's marker
    assert (
        lines["Source"]
        == f"sample snapshot {sample}: incomplete (the simulation did not finish): make sample simulates it again"
    )


def test_the_live_url_is_the_loaders() -> None:
    from openf1_api.client import DEFAULT_BASE_URL
    from status.source import LIVE_BASE_URL

    assert LIVE_BASE_URL == DEFAULT_BASE_URL


# ---- on the built sample -------------------------------------------------------------------------------------


def utc_minute(moment: object) -> str:
    from status.text import as_utc

    return f"{as_utc(moment):%Y-%m-%d %H:%M} UTC"  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_built_sample_each_line_from_the_files_it_reads(published_sample: tuple[Path, Path, Path]) -> None:
    published, _, target = published_sample
    warehouse = published.parent.parent / published.name
    done = make_status(f"WAREHOUSE={warehouse.relative_to(ROOT)}")
    assert done.returncode == 0, done.stderr
    lines = by_label(done.stdout)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        seasons = [
            year for (year,) in con.execute("select distinct year from raw_openf1.sessions order by 1").fetchall()
        ]
        meetings, sessions = con.execute(
            "select count(distinct meeting_key), count(distinct session_key) from raw_openf1.sessions"
        ).fetchone()
        load_id, inserted_at, loads = con.execute(
            "select load_id, inserted_at, count(*) over () from raw_openf1._dlt_loads where status = 0"
            " order by inserted_at desc limit 1"
        ).fetchone()
    assert len(seasons) == 1, "the sample is one season"
    holdings = f"season {seasons[0]}, {meetings} meetings, {sessions} sessions"
    assert lines["Warehouse"] == f"{warehouse.relative_to(ROOT)}: {holdings}"
    assert lines["Last load"].startswith(utc_minute(inserted_at))
    assert lines["Last load"].endswith(f", load {load_id} ({loads} loads)")

    build = json.loads((target / "build_results.json").read_text())
    finished = datetime.fromisoformat(build["metadata"]["generated_at"].replace("Z", "+00:00")).astimezone(UTC)
    assert lines["Last build"].startswith(utc_minute(finished))
    nodes = [result for result in build["results"] if not result["unique_id"].startswith("operation.")]
    assert f"dbt build passed ({len(nodes)} nodes in " in lines["Last build"], "run hooks are not nodes"

    with duckdb.connect(str(published), read_only=True) as con:
        (published_at,) = con.execute("select published_at from main.published_build").fetchone()
        incomplete = con.execute(
            "select count(distinct session_key) from marts.session_data_completeness"
            " where is_expected and status in ('partial', 'missing')"
        ).fetchone()[0]
        provisional = con.execute("select count(*) from marts.dim_sessions where is_result_provisional").fetchone()[0]
    assert lines["Published"].startswith(f"{published.relative_to(ROOT)}: published {utc_minute(published_at)}")
    assert lines["Published"].endswith("from the last passing build")
    assert lines["Incomplete"].startswith(f"{incomplete} sessions lack data (") if incomplete else "none"
    assert provisional == 0 and lines["Provisional"] == "none: every result is past its amendment window"
    assert list(lines) == ["Warehouse", "Last load", "Last build", "Published", "Provisional", "Incomplete", "Source"]


@pytest.mark.slow
def test_a_provisional_result_and_a_stale_copy_are_said(
    published_sample: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    published, _, target = published_sample
    copy = tmp_path / "published" / "w.duckdb"
    copy.parent.mkdir()
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as con:
        race = con.execute(
            "select dim_sessions.session_key, dim_sessions.season, dim_sessions.round_number, meeting_name"
            " from marts.dim_sessions inner join marts.dim_meetings using (meeting_key)"
            " where session_kind = 'race' order by dim_sessions.started_at desc limit 1"
        ).fetchone()
        con.execute("update marts.dim_sessions set is_result_provisional = true where session_key = ?", [race[0]])
        con.execute("update main.published_build set dbt_invocation_id = 'an-older-build'")
    done = run_module(
        "status",
        *("--warehouse", str(tmp_path / "w.duckdb"), "--published", str(copy), "--dbt-target", str(target)),
    )
    lines = by_label(done.stdout)
    assert lines["Provisional"] == f"1 result may still be amended: {race[1]} R{race[2]} {race[3]} Race"
    assert lines["Published"].endswith("older than the last passing build: run make publish")
