"""A failing make transform says what failed in one line per node and where dbt's log is, records no passing build
(make publish refuses), and never prints a traceback; a warehouse with nothing loaded stops before dbt builds."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import duckdb
import pytest

from tests.conftest import ROOT, run_group

WAREHOUSE = "warehouse/test/transform-failure.duckdb"
TARGET = ROOT / "target" / "warehouse_test_transform-failure"
EMPTY = "warehouse/test/transform-empty.duckdb"
EMPTY_TARGET = ROOT / "target" / "warehouse_test_transform-empty"


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return run_group(["make", *args], timeout=1200)


@pytest.fixture()
def orphan_session() -> Iterator[None]:
    """One session's laps loaded, plus a session of a meeting OpenF1 never sent (a relationships test fails)."""
    warehouse = ROOT / WAREHOUSE
    warehouse.unlink(missing_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)
    done = make("load", f"WAREHOUSE={WAREHOUSE}", "SESSION=10301", "ENDPOINTS=laps", "TELEMETRY=0")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "insert into raw_openf1.sessions select * replace (99999 as session_key, 99999 as meeting_key, "
            "'orphan' as _dlt_id) from raw_openf1.sessions limit 1"
        )
    TARGET.mkdir(parents=True, exist_ok=True)
    (TARGET / "build_results.json").write_text("{}")  # a passing build on record before this one
    yield
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)


@pytest.mark.slow
def test_a_failed_build_prints_each_failing_node_on_one_line_and_the_log(orphan_session: None) -> None:
    done = make("transform", f"WAREHOUSE={WAREHOUSE}")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "\x1b[" not in output
    lines = done.stdout.splitlines()
    failing = [line for line in lines if line.startswith(("  fail ", "  error "))]
    assert any("relationships_stg_openf1__sessions_meeting_key" in line for line in failing), done.stdout[-3000:]
    assert all(len(line) < 320 for line in failing)
    last = lines[-1]
    assert last.startswith(f"dbt build failed ({len(failing)} node"), last
    assert str(TARGET / "logs" / "dbt.log") in last
    assert not (TARGET / "build_results.json").exists()  # make publish keeps the last good build


@pytest.fixture()
def empty_warehouse() -> Iterator[None]:
    (ROOT / EMPTY).unlink(missing_ok=True)
    (ROOT / EMPTY).parent.mkdir(parents=True, exist_ok=True)
    yield
    (ROOT / EMPTY).unlink(missing_ok=True)
    shutil.rmtree(EMPTY_TARGET, ignore_errors=True)


@pytest.mark.slow
def test_a_warehouse_with_nothing_loaded_stops_in_one_line(empty_warehouse: None) -> None:
    done = make("transform", f"WAREHOUSE={EMPTY}")
    assert done.returncode != 0
    lines = done.stdout.splitlines()
    assert lines[-1] == f"dbt build: nothing loaded into raw_openf1 of {EMPTY}: run make load first (or make build)"
    assert "Traceback" not in done.stdout + done.stderr
    assert not any(line.startswith("dbt build: ") and "nodes" in line for line in lines)  # no model was built
