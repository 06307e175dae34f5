"""Type drift is named on the console: a value of another type than its column's (here a lap time sent as the text
"1:32.456") lands in dlt's variant column ``lap_duration__v_text``, every model reads that lap's duration as null,
and the build's last lines name the variant column with its rows, what it means and what to do."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from openf1_replay.snapshot import iter_records
from tests.conftest import ROOT, run_group

SAMPLE = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1"  # the Makefile's SAMPLE_DIR
WAREHOUSE = "warehouse/test/transform-drift.duckdb"
TARGET = ROOT / "target" / "warehouse_test_transform-drift"
DRIFTED = "1:32.456"


def drifted_snapshot(folder: Path) -> dict:
    """A copy of the sample whose first timed lap has its lap_duration as a string; returns that lap."""
    folder.mkdir()
    for path in SAMPLE.iterdir():
        if not path.name.startswith("laps."):
            (folder / path.name).symlink_to(path)
    records = list(iter_records(SAMPLE, "laps"))
    changed = next(record for record in records if record.get("lap_duration") is not None)
    changed["lap_duration"] = DRIFTED
    (folder / "laps.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    return changed


@pytest.fixture(scope="module")
def drift_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, subprocess.CompletedProcess[str]]:
    """The drifted lap's session, laps only, loaded and built into a scratch warehouse."""
    subprocess.run(["make", "sample"], cwd=ROOT, check=True, capture_output=True, timeout=1200)
    snapshot = tmp_path_factory.mktemp("drift") / "snapshot"
    lap = drifted_snapshot(snapshot)
    warehouse = ROOT / WAREHOUSE
    warehouse.unlink(missing_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)
    done = run_group(
        [
            *("make", "load", "transform", f"WAREHOUSE={WAREHOUSE}", f"SOURCE={snapshot}"),
            *(f"SESSION={lap['session_key']}", "ENDPOINTS=laps"),
        ],
        timeout=1200,
    )
    yield lap, done
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)


@pytest.mark.slow
def test_the_last_lines_name_the_variant_column_and_its_rows(
    drift_build: tuple[dict, subprocess.CompletedProcess[str]],
) -> None:
    _, done = drift_build
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    warning = next(i for i, line in enumerate(lines) if line.startswith("warning: type drift in raw_openf1"))
    drift = lines[warning:]
    assert len(drift) <= 5, drift  # the build's last lines
    assert "1 value did not fit" in drift[0] and "null" in drift[0]
    (named,) = [line for line in drift if "raw_openf1.laps.lap_duration__v_text" in line]
    assert " 1 row " in named
    assert any("where lap_duration__v_text is not null" in line for line in drift)  # how to see them
    assert any(line.strip().startswith("fix:") for line in drift)  # what to do
    assert "dbt build passed" in done.stdout


@pytest.mark.slow
def test_the_drifted_value_is_null_in_the_marts(drift_build: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    lap, done = drift_build
    assert done.returncode == 0, done.stdout[-3000:]
    key = (lap["session_key"], lap["driver_number"], lap["lap_number"])
    with duckdb.connect(str(ROOT / WAREHOUSE), read_only=True) as connection:
        kept = connection.execute(
            "select lap_duration__v_text from raw_openf1.laps where session_key = ? and driver_number = ? "
            "and lap_number = ?",
            key,
        ).fetchone()
        in_marts = connection.execute(
            "select lap_duration_s from marts.fct_laps where session_key = ? and driver_number = ? and lap_number = ?",
            key,
        ).fetchone()
    assert kept == (DRIFTED,)
    assert in_marts == (None,)  # what the warning is about
