"""ENDPOINTS picks a subset of OpenF1 (README, Choosing the data): any subset builds, every endpoint left out gives an
empty, typed staging model (macros/source_or_empty.sql), and the build says nothing about the endpoints it did not
load (no source-freshness complaint, no colour codes). Its progress is a few plain lines when not on a terminal."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import duckdb
import pytest

from tests.conftest import ROOT, run_group

WAREHOUSE = "warehouse/test/transform-subset.duckdb"
TARGET = ROOT / "target" / "warehouse_test_transform-subset"
LOADED = ("laps", "stints", "pit")  # meetings and sessions are always loaded: the scope comes from them


@pytest.fixture(scope="module")
def subset_build() -> subprocess.CompletedProcess[str]:
    """``make load transform ENDPOINTS=laps,stints,pit`` of the sample into a fresh scratch warehouse."""
    warehouse = ROOT / WAREHOUSE
    warehouse.unlink(missing_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)
    done = run_group(
        ["make", "load", "transform", f"WAREHOUSE={WAREHOUSE}", f"ENDPOINTS={','.join(LOADED)}", "TELEMETRY=0"],
        timeout=1200,
    )
    yield done
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)


@pytest.mark.slow
def test_a_subset_of_endpoints_builds_with_empty_typed_staging_for_the_rest(
    subset_build: subprocess.CompletedProcess[str],
) -> None:
    assert subset_build.returncode == 0, subset_build.stdout[-3000:] + subset_build.stderr[-3000:]
    assert "dbt build passed" in subset_build.stdout
    assert (TARGET / "build_results.json").is_file()
    with duckdb.connect(str(ROOT / WAREHOUSE), read_only=True) as connection:
        raw = {
            row[0]
            for row in connection.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw_openf1'"
            ).fetchall()
        }
        assert {"meetings", "sessions", *LOADED} <= raw
        assert "drivers" not in raw and "weather" not in raw
        drivers = connection.execute("select count(*) from staging.stg_openf1__drivers").fetchone()[0]
        driver_number = connection.execute(
            "select data_type from information_schema.columns where table_schema = 'staging' "
            "and table_name = 'stg_openf1__drivers' and column_name = 'driver_number'"
        ).fetchone()[0]
        laps = connection.execute("select count(*) from marts.fct_laps").fetchone()[0]
    assert drivers == 0 and driver_number == "INTEGER"
    assert laps > 0


@pytest.mark.slow
def test_the_build_says_nothing_about_endpoints_it_did_not_load(subset_build: subprocess.CompletedProcess[str]) -> None:
    output = subset_build.stdout + subset_build.stderr
    assert "\x1b[" not in output  # no colour codes
    assert "freshness" not in output, output[-2000:]  # the tables never loaded are not "stale or missing"
    assert "does not exist" not in output
    assert "cleanup" not in output  # nothing left by an interrupted run: nothing said about it
    # the sources it did load were checked (the data-quality page reads sources.json) and are fresh
    sources = json.loads((TARGET / "sources.json").read_text())
    checked = {result["unique_id"].split(".")[-1] for result in sources["results"]}
    assert checked == {"meetings", "sessions", *LOADED}


@pytest.mark.slow
def test_without_a_terminal_progress_is_a_few_plain_lines(subset_build: subprocess.CompletedProcess[str]) -> None:
    counts = re.findall(r"^dbt build: (\d+)/(\d+) nodes, (\d+) failed$", subset_build.stdout, re.MULTILINE)
    assert 2 <= len(counts) <= 4, subset_build.stdout
    done, total, failed = counts[-1]
    assert done == total and int(total) > 100 and failed == "0"
    assert "\r" not in subset_build.stdout
