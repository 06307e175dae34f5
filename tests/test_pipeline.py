"""The loader end to end: snapshot -> replay server (HTTP) -> dlt -> DuckDB, through its command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dlt_pipelines.openf1 import catalogue
from openf1_replay.snapshot import endpoints_in, iter_records
from tests.conftest import ROOT, real_snapshot, run_module

PIPELINE = "dlt_pipelines.pipeline"


def expected_rows(snapshot: Path, endpoint: str) -> int:
    """Distinct records by the endpoint's key, for sessions the snapshot lists; rows with null keys dropped."""
    spec = catalogue.get(endpoint)
    sessions = {r["session_key"] for r in iter_records(snapshot, "sessions") if not r.get("is_cancelled")}
    seen: set[object] = set()
    for record in iter_records(snapshot, endpoint):
        if spec.per_session and record.get("session_key") not in sessions:
            continue
        if spec.hashed_key:
            seen.add(json.dumps(record, sort_keys=True))
            continue
        key = tuple(record.get(column) for column in spec.primary_key)
        if None not in key:
            seen.add(key)
    return len(seen)


def table_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_openf1' "
                "and table_name not like '\\_dlt%' escape '\\'"
            ).fetchall()
        ]
        return {t: connection.execute(f"select count(*) from raw_openf1.{t}").fetchone()[0] for t in tables}


@pytest.fixture(scope="module")
def abu_dhabi(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    snapshot = real_snapshot("2025-abu-dhabi-race")
    warehouse = tmp_path_factory.mktemp("abu-dhabi") / "openf1.duckdb"
    result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    return snapshot, warehouse, result.stdout


def test_every_endpoint_of_a_real_snapshot_loads_with_its_rows(abu_dhabi: tuple[Path, Path, str]) -> None:
    snapshot, warehouse, _ = abu_dhabi
    counts = table_counts(warehouse)
    for endpoint in endpoints_in(snapshot):
        assert counts.get(endpoint) == expected_rows(snapshot, endpoint), endpoint


def test_declared_types_land_in_duckdb(abu_dhabi: tuple[Path, Path, str]) -> None:
    _, warehouse, _ = abu_dhabi
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        types = dict(
            connection.execute(
                "select table_name || '.' || column_name, data_type from information_schema.columns "
                "where table_schema = 'raw_openf1'"
            ).fetchall()
        )
    assert types["laps.date_start"] == "TIMESTAMP WITH TIME ZONE"
    assert types["laps.lap_duration"] == "DOUBLE"
    assert types["laps.is_pit_out_lap"] == "BOOLEAN"
    assert types["laps.segments_sector_1"] == "JSON"
    assert types["session_result.duration"] == "VARCHAR"  # JSON text: a float, or [Q1, Q2, Q3] in qualifying
    assert types["intervals.gap_to_leader"] == "VARCHAR"


def test_mixed_gap_values_survive_as_text(abu_dhabi: tuple[Path, Path, str]) -> None:
    snapshot, warehouse, _ = abu_dhabi
    lapped_in_file = sum(1 for r in iter_records(snapshot, "intervals") if isinstance(r.get("gap_to_leader"), str))
    assert lapped_in_file > 0, "the real snapshot should hold '+1 LAP' gaps"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        lapped = connection.execute(
            "select count(*) from raw_openf1.intervals where gap_to_leader like '+%LAP%'"
        ).fetchone()[0]
    assert lapped == lapped_in_file


def test_a_second_run_fetches_nothing_and_changes_nothing(abu_dhabi: tuple[Path, Path, str]) -> None:
    snapshot, warehouse, _ = abu_dhabi
    before = table_counts(warehouse)
    result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert "0 sessions fetched" in result.stdout
    assert table_counts(warehouse) == before


def test_full_refresh_reloads_without_duplicates(abu_dhabi: tuple[Path, Path, str]) -> None:
    snapshot, warehouse, _ = abu_dhabi
    before = table_counts(warehouse)
    result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse), "--full-refresh")
    assert result.returncode == 0, result.stderr
    assert "1 sessions fetched" in result.stdout
    assert table_counts(warehouse) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--season", "2019"], "before OpenF1's data", id="season-before-openf1"),
        pytest.param(["--season", "20x4"], "not a year", id="season-not-a-year"),
        pytest.param(["--session", "abc"], "not a key", id="session-not-a-key"),
        pytest.param(["--endpoints", "laps,tyres"], "unknown tyres", id="unknown-endpoint"),
        pytest.param(["--source", "/nonexistent/snapshot"], "neither 'sample'", id="missing-snapshot-folder"),
        pytest.param(["--source", "http://127.0.0.1:9/v1"], "unreachable", id="unreachable-url"),
        pytest.param(["--source", "ftp://example/v1"], "neither 'sample'", id="not-a-url"),
        pytest.param(["--bogus-flag"], "unrecognized arguments", id="wrong-flag"),
    ],
)
def test_bad_input_gets_one_line_error_and_leaves_the_warehouse_alone(
    args: list[str], message: str, tmp_path: Path
) -> None:
    warehouse = tmp_path / "untouched.duckdb"
    result = run_module(PIPELINE, "--warehouse", str(warehouse), *args, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert not warehouse.exists()


def test_live_fails_fast_when_the_api_is_unreachable(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_module(PIPELINE, "--source", "live", "--warehouse", str(tmp_path / "w.duckdb"), timeout=60)
    assert result.returncode == 1
    assert "api.openf1.org" in result.stderr and "unreachable" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 30


def test_unknown_meeting_key_is_a_clear_error(abu_dhabi: tuple[Path, Path, str], tmp_path: Path) -> None:
    snapshot, _, _ = abu_dhabi
    result = run_module(PIPELINE, "--source", str(snapshot), "--meeting", "1", "--warehouse", str(tmp_path / "w.db"))
    assert result.returncode == 1
    assert "no sessions match MEETING=1" in result.stderr
    assert not (tmp_path / "w.db").exists()


def test_corrupt_snapshot_file_is_named_and_nothing_loads(tmp_path: Path) -> None:
    source = real_snapshot("2025-abu-dhabi-race")
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    for path in source.iterdir():
        (snapshot / path.name).write_bytes(path.read_bytes())
    (snapshot / "laps.jsonl.gz").write_bytes((source / "laps.jsonl.gz").read_bytes()[:5000])
    warehouse = tmp_path / "w.duckdb"
    result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse))
    assert result.returncode == 1
    assert "laps.jsonl.gz" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not warehouse.exists()


def _load_command(snapshot: Path, warehouse: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        PIPELINE,
        "--source",
        str(snapshot),
        "--warehouse",
        str(warehouse),
        "--endpoints",
        "drivers,laps,stints,pit,session_result",
        "--batch-sessions",
        "8",
        *extra,
    ]


@pytest.mark.slow
def test_a_run_killed_midway_resumes_to_exactly_an_uninterrupted_load(tmp_path: Path) -> None:
    snapshot = real_snapshot("2024-season")
    reference = tmp_path / "reference.duckdb"
    done = subprocess.run(_load_command(snapshot, reference), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    killed = tmp_path / "killed.duckdb"
    process = subprocess.Popen(
        _load_command(snapshot, killed), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    for line in process.stderr:  # progress lines; kill -9 as the third batch starts
        if line.startswith("[3/"):
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the load finished before it could be killed"
    partial = table_counts(killed)
    assert 0 < sum(partial.values()) < sum(table_counts(reference).values())

    resumed = subprocess.run(_load_command(snapshot, killed), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "skipped as already loaded" in resumed.stdout
    assert " 0 skipped" not in resumed.stdout, "the resumed run should skip the sessions loaded before the kill"
    assert table_counts(killed) == table_counts(reference)
