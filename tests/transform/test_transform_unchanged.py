"""Builds cost what is new (issue 21): ``make build`` with nothing new does nothing and says why; a changed model
rebuilds it and what depends on it; the telemetry key test checks only sessions not yet passed, and never
forgets one that failed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, published_paths, run_group

WAREHOUSE = "warehouse/test/unchanged.duckdb"
TARGET = "target/warehouse_test_unchanged"
LEDGER = "staging._telemetry_keys_passed"
CHECKED = ("stg_openf1__car_data", "stg_openf1__locations")


def make(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args, f"WAREHOUSE={WAREHOUSE}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, **env},
    )


def query(sql: str, path: Path = ROOT / WAREHOUSE) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def execute(sql: str) -> None:
    with duckdb.connect(str(ROOT / WAREHOUSE)) as connection:
        connection.execute(sql)


@pytest.fixture(scope="module")
def built() -> Iterator[subprocess.CompletedProcess[str]]:
    """The sample built by ``make build`` into a scratch warehouse, then ``make build`` again: the second run."""
    warehouse = ROOT / WAREHOUSE
    published, parquet = published_paths(warehouse)
    paths = [warehouse, ROOT / TARGET, warehouse.parent / ".dlt" / warehouse.stem, ROOT / "reports/site-test_unchanged"]

    def clean() -> None:
        for path in [*paths, published]:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        for leftover in published.parent.glob(f"{parquet.name}*"):
            shutil.rmtree(leftover) if leftover.is_dir() and not leftover.is_symlink() else leftover.unlink()

    clean()
    first = run_group(["make", "build", f"WAREHOUSE={WAREHOUSE}"], timeout=1500)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    yield make("build")
    clean()


@pytest.mark.slow
def test_make_build_with_nothing_new_does_nothing_and_says_why(built: subprocess.CompletedProcess[str]) -> None:
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    said = built.stdout.splitlines()
    for step in (
        "Load skipped: nothing new",
        "dbt build skipped: nothing loaded",
        "Publish skipped:",
        "Report skipped:",
    ):
        assert [line for line in said if line.startswith(step)], f"no '{step}' line in:\n{built.stdout}"
    assert not [line for line in said if line.startswith(("dbt build:", "Loaded into", "Publishing", "Report written"))]


@pytest.mark.slow
def test_a_changed_model_rebuilds_it_and_what_depends_on_it(
    built: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    """In a copy of the project with the built warehouse: one mart's SQL changes; make build rebuilds that mart
    and its tests (and nothing else), and the record still holds every node of the last passing build."""
    copy = tmp_path / "project"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    (copy / "warehouse").mkdir(exist_ok=True)
    (copy / "warehouse" / "samples").symlink_to(ROOT / "warehouse" / "samples")
    (copy / WAREHOUSE).parent.mkdir(parents=True)
    shutil.copy2(ROOT / WAREHOUSE, copy / WAREHOUSE)
    shutil.copytree(ROOT / "warehouse/test/.dlt/unchanged", copy / "warehouse/test/.dlt/unchanged")
    shutil.copytree(ROOT / TARGET, copy / TARGET)
    before = json.loads((copy / TARGET / "build_results.json").read_text())["results"]
    model = copy / "models/marts/live/board_sessions.sql"
    model.write_text(model.read_text() + "-- changed\n")

    done = make("build", cwd=copy)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "(state:modified+)" in done.stdout
    nodes = ("model.", "test.", "seed.")  # run_results also lists the on-run-start hooks
    ran = {
        r["unique_id"]
        for r in json.loads((copy / TARGET / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith(nodes)
    }
    listed = subprocess.run(
        [
            str(ROOT / ".venv/bin/dbt"),
            "ls",
            "-s",
            "board_sessions+",
            "--resource-type",
            "model",
            "test",
            "--quiet",
            "--output",
            "json",
            "--output-keys",
            "unique_id",
            "--target-path",
            str(tmp_path / "ls"),
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        env={**os.environ, "DBT_PROFILES_DIR": str(copy)},
    )
    depends = {json.loads(line)["unique_id"] for line in listed.stdout.splitlines() if line.startswith("{")}
    depends = {node for node in depends if node.startswith(nodes)}
    assert depends
    assert ran == depends
    record = json.loads((copy / TARGET / "build_results.json").read_text())["results"]
    assert {r["unique_id"] for r in record} == {r["unique_id"] for r in before}


def passed(model: str) -> set[int]:
    return {row[0] for row in query(f"select session_key from {LEDGER} where model_name = '{model}'")}


@pytest.mark.slow
def test_telemetry_keys_are_checked_once_and_a_failure_is_never_forgotten(
    built: subprocess.CompletedProcess[str],
) -> None:
    for model in CHECKED:  # every session the model holds passed its key test in the build
        assert passed(model) == {row[0] for row in query(f"select distinct session_key from staging.{model}")}
    session = min(passed("stg_openf1__car_data"))
    duplicate = (
        "insert into staging.stg_openf1__car_data select * from staging.stg_openf1__car_data "
        f"where session_key = {session} order by recorded_at, driver_number limit 1"
    )
    execute(duplicate)
    # each build below changes a setting the project reads, so dbt runs (nothing new would skip it)
    rebuilt = make("transform", OPENF1_DUCKDB_MEMORY_LIMIT="2900MB")
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]  # a session that passed is not read again
    execute(f"delete from {LEDGER} where model_name = 'stg_openf1__car_data' and session_key = {session}")
    for limit in ("2800MB", "2700MB"):  # failed, and failed again: not forgotten
        failed = make("transform", OPENF1_DUCKDB_MEMORY_LIMIT=limit)
        assert failed.returncode != 0
        assert "primary_key_stg_openf1__car_data" in failed.stdout, failed.stdout[-3000:]
        assert session not in passed("stg_openf1__car_data")
    execute(f"delete from staging.stg_openf1__car_data where session_key = {session}")
    repaired = make("transform", OPENF1_DUCKDB_MEMORY_LIMIT="2600MB")
    assert repaired.returncode == 0, repaired.stdout[-3000:]
    # the session's rows, appended again from raw (the model held none of it), passed and are recorded again
    assert session in passed("stg_openf1__car_data")
    assert query(f"select count(*) from staging.stg_openf1__car_data where session_key = {session}")[0][0] > 0
