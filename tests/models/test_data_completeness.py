"""The completeness marts say where upstream data is missing, and the quality page lists it.

- ``reports.quality.data_completeness`` selects the mart's gaps (an in-memory mart, fast);
- on the simulated sample (the report tests' warehouse): the marts flag exactly the gaps the simulator injects, read
  from its truth sidecar (two laps missing per Grand Prix, one stint without a compound), and nothing else; the
  quality page lists them with the mart's notes;
- on the real 2024 season (slow; ``../shared/openf1-real``, skipped when absent): Japan's laps (session 9496, laps
  for 3 drivers only) are partial, every flag is a gap of the raw snapshot files (read here without the warehouse)
  and every gap of those files is flagged; the stops the mart counts per driver are the official counts (f1db).
"""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import quality
from reports.render import render
from tests.conftest import ROOT, real_snapshot
from tests.reports.test_reports import parse, rows, sample_warehouse

# make's SAMPLE_DIR (SAMPLE_SEASON, SAMPLE_ROUNDS, SAMPLE_SEED, SAMPLE_HZ): the snapshot the sample warehouse is loaded
# from, and its truth sidecar beside it
SAMPLE_TRUTH = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1.truth.json"
UNKNOWN_COMPOUNDS = (None, "UNKNOWN", "TEST_UNKNOWN")
JAPAN_2024_RACE = 9496


# ---- the page's selection ----------------------------------------------------------------------------------------
def test_data_completeness_selects_the_marts_gaps() -> None:
    with duckdb.connect() as connection:
        assert quality.data_completeness(connection).available is False  # an older warehouse: no mart, no crash
        connection.execute("create schema marts")
        connection.execute(
            """
            create table marts.session_data_completeness as
            select * from (
                select 2 as session_key, 'laps' as endpoint, 2024 as season, 1 as round_number,
                    'A Grand Prix' as meeting_name, 'Race' as session_name, 'race' as session_kind,
                    timestamp '2024-03-02 15:00:00' as session_started_at, 'partial' as status,
                    'laps missing' as note, 10 as rows_received, true as is_expected, true as is_endpoint_loaded
                union all select 1, 'weather', 2024, 1, 'A Grand Prix', 'Practice 1', 'practice',
                    timestamp '2024-02-29 11:00:00', 'missing', 'no rows', 0, true, true
                union all select 2, 'pit', 2024, 1, 'A Grand Prix', 'Race', 'race',
                    timestamp '2024-03-02 15:00:00', 'complete', null, 30, true, true
                union all select 2, 'intervals', 2024, 1, 'A Grand Prix', 'Race', 'race',
                    timestamp '2024-03-02 15:00:00', 'not_loaded', 'not loaded', 0, true, false
                union all select 2, 'car_data', 2024, 1, 'A Grand Prix', 'Race', 'race',
                    timestamp '2024-03-02 15:00:00', 'not_loaded', 'optional', 0, false, false
            )
            """
        )
        completeness = quality.data_completeness(connection)
    assert completeness.available
    assert [(gap.session_key, gap.endpoint, gap.status) for gap in completeness.gaps] == [
        (1, "weather", "missing"),  # in session order, then endpoint
        (2, "laps", "partial"),
    ]
    assert [gap.endpoint for gap in completeness.partial] == ["laps"]
    assert completeness.not_loaded == ["intervals"]  # expected but loaded for no session; optional ones are no gap


# ---- the simulated sample ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    return sample_warehouse(sample_build)


@pytest.fixture(scope="module")
def truth(sample: tuple[Path, Path]) -> dict[str, Any]:
    if not SAMPLE_TRUTH.is_file():
        pytest.skip(f"no simulator truth at {SAMPLE_TRUTH} (the sample warehouse came from elsewhere)")
    return json.loads(SAMPLE_TRUTH.read_text(encoding="utf-8"))


def _race_truths(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return [session for meeting in truth["rounds"] for session in meeting["sessions"] if "missing_laps" in session]


@pytest.mark.slow
def test_sample_flags_exactly_the_simulators_gaps(sample: tuple[Path, Path], truth: dict[str, Any]) -> None:
    sessions = _race_truths(truth)
    missing_laps: dict[tuple[int, int], int] = defaultdict(int)
    for session in sessions:
        for lap in session["missing_laps"]:
            missing_laps[(session["session_key"], lap["driver_number"])] += 1
    null_compounds = {
        (session["session_key"], stint["driver_number"])
        for session in sessions
        for stint in session["null_compound_stints"]
    }
    assert missing_laps and null_compounds, "the simulator no longer injects these gaps: pick others to check"
    with duckdb.connect(str(sample[0]), read_only=True) as connection:
        drivers = rows(connection, "select * from marts.session_driver_data_completeness")
        flagged = rows(connection, "select * from marts.session_data_completeness where status != 'complete'")
    in_warehouse = {driver["session_key"] for driver in drivers}
    assert {session["session_key"] for session in sessions} <= in_warehouse, "truth of another sample"
    assert {
        (driver["session_key"], driver["driver_number"]): driver["laps_missing"]
        for driver in drivers
        if driver["laps_missing"]
    } == missing_laps
    assert {
        (driver["session_key"], driver["driver_number"]) for driver in drivers if driver["unknown_compound_stints"]
    } == null_compounds
    # the simulator's pit rows and stints agree: no stop is lost on either side
    assert not [driver for driver in drivers if driver["pit_stops_missing"] or driver["stint_changes_missing"]]
    gaps = {(row["session_key"], row["endpoint"]): row for row in flagged if row["status"] in ("partial", "missing")}
    assert set(gaps) == {(key, "laps") for key, _ in missing_laps} | {(key, "stints") for key, _ in null_compounds}
    assert {row["status"] for row in gaps.values()} == {"partial"}
    # the only other rows not complete: optional endpoints without rows (telemetry outside races, pit in practice)
    assert {row["is_expected"] for row in flagged if row["status"] == "not_loaded"} == {False}


@pytest.mark.slow
def test_quality_page_lists_the_sessions_on_partial_data(sample: tuple[Path, Path], tmp_path: Path) -> None:
    render(sample[0], tmp_path, sample[1])
    page = parse(tmp_path / "quality.html")
    with duckdb.connect(str(sample[0]), read_only=True) as connection:
        partial = rows(connection, "select * from marts.session_data_completeness where status = 'partial'")
        races = {
            row["session_key"]
            for row in rows(connection, "select session_key from marts.dim_sessions where session_kind = 'race'")
        }
    assert any(row["endpoint"] == "laps" and row["session_key"] in races for row in partial)  # the known gap
    shown = page.tables["completeness-partial"].by_key()
    assert set(shown) == {f"{row['session_key']}|{row['endpoint']}" for row in partial}
    for row in partial:
        cells = shown[f"{row['session_key']}|{row['endpoint']}"]
        assert (cells["status"], cells["note"], cells["meeting"]) == ("partial", row["note"], row["meeting_name"])
    assert "completeness-missing" not in page.tables  # the sample misses no endpoint for a whole session


# ---- the real 2024 season ----------------------------------------------------------------------------------------
@cache
def _raw(endpoint: str) -> list[dict[str, Any]]:
    """An endpoint's records from the real 2024 snapshot ([] when the snapshot has no such file)."""
    path = real_snapshot("2024-season") / f"{endpoint}.jsonl.gz"
    if not path.is_file():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _raw_sessions_with(endpoint: str) -> set[int]:
    return {record["session_key"] for record in _raw(endpoint) if record.get("session_key") is not None}


def _raw_sessions_short_of_laps() -> set[int]:
    """Sessions where a classified driver lacks a lap row, from the raw files: in races and sprints any of laps
    1..number_of_laps; elsewhere a driver with laps in the classification and none at all."""
    is_race = {record["session_key"]: record["session_type"] == "Race" for record in _raw("sessions")}
    laps: dict[tuple[int, int], set[int]] = defaultdict(set)
    for record in _raw("laps"):
        laps[(record["session_key"], record["driver_number"])].add(record["lap_number"])
    short = set()
    for result in _raw("session_result"):
        key, completed = (result["session_key"], result["driver_number"]), result.get("number_of_laps") or 0
        received = {lap for lap in laps.get(key, set()) if 1 <= lap <= completed}
        if (len(received) < completed) if is_race[key[0]] else (completed > 0 and not laps.get(key)):
            short.add(key[0])
    return short


@pytest.fixture(scope="module")
def real_completeness(real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> dict[str, Any]:
    warehouse, _, built = real_2024_build
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        try:
            sessions = rows(connection, "select * from marts.session_data_completeness")
            drivers = rows(connection, "select * from marts.session_driver_data_completeness")
        except duckdb.CatalogException:
            pytest.fail("the real 2024 build has no completeness marts:\n" + built.stdout[-3000:])
    return {
        "sessions": {(row["session_key"], row["endpoint"]): row for row in sessions},
        "drivers": {(row["session_key"], row["driver_number"]): row for row in drivers},
    }


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_japan_laps_are_partial(real_completeness: dict[str, Any]) -> None:
    laps = real_completeness["sessions"][(JAPAN_2024_RACE, "laps")]
    with_laps = {record["driver_number"] for record in _raw("laps") if record["session_key"] == JAPAN_2024_RACE}
    owed = {
        result["driver_number"]
        for result in _raw("session_result")
        if result["session_key"] == JAPAN_2024_RACE and (result.get("number_of_laps") or 0) > 0
    }
    assert len(with_laps) == 3  # as the snapshot's README says
    assert laps["status"] == "partial", laps
    assert laps["drivers_missing"] == len(owed - with_laps), laps
    assert "laps missing for" in laps["note"]
    short = {
        number
        for (session_key, number), driver in real_completeness["drivers"].items()
        if session_key == JAPAN_2024_RACE and driver["laps_missing"]
    }
    assert short == owed - with_laps


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_flags_are_the_snapshots_gaps(real_completeness: dict[str, Any]) -> None:
    """Every flag is a gap of the raw files, and every gap of the raw files is flagged (so this can fail both ways)."""
    marts = real_completeness["sessions"]

    def flagged(endpoint: str, *statuses: str) -> set[int]:
        return {key for (key, name), row in marts.items() if name == endpoint and row["status"] in statuses}

    # laps: sessions short of laps per the classification (partial), or without any (missing)
    sessions = {key for key, name in marts if name == "laps"}
    assert flagged("laps", "partial", "missing") == _raw_sessions_short_of_laps() | (
        sessions - _raw_sessions_with("laps")
    )
    assert flagged("laps", "partial") == {JAPAN_2024_RACE}
    # an endpoint with no rows for a session is missing there, or not loaded when the snapshot lacks it entirely
    for endpoint in ("session_result", "drivers", "stints", "race_control", "weather", "starting_grid", "overtakes"):
        expected = {key for (key, name), row in marts.items() if name == endpoint and row["is_expected"]}
        assert expected, endpoint
        assert flagged(endpoint, "missing") == expected - _raw_sessions_with(endpoint), endpoint
    for endpoint in ("intervals", "position"):  # not in the 2024 snapshot at all
        assert not _raw(endpoint)
        assert {row["status"] for (_, name), row in marts.items() if name == endpoint} == {"not_loaded"}
    # stints: a compound null or unknown
    unknown = {record["session_key"] for record in _raw("stints") if record.get("compound") in UNKNOWN_COMPOUNDS}
    assert unknown
    assert flagged("stints", "partial") == unknown
    # pit: OpenF1's pit rows and stints agree in every 2024 race and sprint (see the next test)
    assert not flagged("pit", "partial", "missing")


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_stops_per_driver_are_the_official_counts(real_completeness: dict[str, Any]) -> None:
    """The rule that says which stint changes and pit rows are stops gives f1db's counts for every race driver."""
    with open(real_snapshot("truth-2024") / "pit_stop_counts.csv", newline="", encoding="utf-8") as handle:
        official = {
            (int(row["race_session_key"]), int(row["driver_number"])): int(row["stops"])
            for row in csv.DictReader(handle)
        }
    counted = {
        key: (driver["stint_changes"], driver["pit_stops"])
        for key, driver in real_completeness["drivers"].items()
        if driver["session_kind"] == "race" and driver["is_classified"]
    }
    assert {session_key for session_key, _ in official} == {session_key for session_key, _ in counted}
    mismatches = {
        key: (official.get(key, 0), value) for key, value in counted.items() if value != (official.get(key, 0),) * 2
    }
    assert not mismatches
