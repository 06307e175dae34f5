"""The loader end to end: snapshot -> replay server (HTTP) -> dlt -> DuckDB, through its command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dlt_pipelines.openf1 import catalogue
from openf1_replay.snapshot import endpoints_in, iter_records
from tests.conftest import ROOT, real_snapshot, run_module

PIPELINE = "dlt_pipelines.pipeline"


def _usable(value: object, column: str, spec: catalogue.Endpoint) -> bool:
    """A key value that can be placed: not null, and a real date for timestamp keys (real data has 'NaT')."""
    if value is None:
        return False
    if spec.columns[column]["data_type"] == "timestamp":
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            return False
    return True


def expected_rows(snapshot: Path, endpoint: str) -> int:
    """Distinct records by the endpoint's key, for sessions the snapshot lists; rows without a usable key dropped."""
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
        if all(_usable(value, column, spec) for value, column in zip(key, spec.primary_key, strict=True)):
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


@pytest.mark.slow
def test_every_endpoint_of_a_real_snapshot_loads_with_its_rows(abu_dhabi: tuple[Path, Path, str]) -> None:
    snapshot, warehouse, _ = abu_dhabi
    counts = table_counts(warehouse)
    for endpoint in endpoints_in(snapshot):
        assert counts.get(endpoint) == expected_rows(snapshot, endpoint), endpoint


@pytest.mark.slow
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


@pytest.mark.slow
def test_mixed_gap_values_survive_as_text(abu_dhabi: tuple[Path, Path, str]) -> None:
    snapshot, warehouse, _ = abu_dhabi
    lapped_in_file = sum(1 for r in iter_records(snapshot, "intervals") if isinstance(r.get("gap_to_leader"), str))
    assert lapped_in_file > 0, "the real snapshot should hold '+1 LAP' gaps"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        lapped = connection.execute(
            "select count(*) from raw_openf1.intervals where gap_to_leader like '+%LAP%'"
        ).fetchone()[0]
    assert lapped == lapped_in_file


@pytest.mark.slow
def test_a_second_run_fetches_nothing_and_changes_nothing(abu_dhabi: tuple[Path, Path, str]) -> None:
    snapshot, warehouse, _ = abu_dhabi
    before = table_counts(warehouse)
    result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert "0 sessions fetched" in result.stdout
    assert table_counts(warehouse) == before


@pytest.mark.slow
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


def test_unknown_meeting_key_is_a_clear_error(tmp_path: Path) -> None:
    snapshot = real_snapshot("2025-abu-dhabi-race")  # the snapshot only: the load stops before fetching anything
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


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A two-round simulated season (one a sprint weekend) with telemetry, loaded once."""
    root = tmp_path_factory.mktemp("simulated")
    snapshot = root / "snapshot"
    made = run_module(
        "openf1_replay.simulator",
        "--season",
        "2024",
        "--rounds",
        "2",
        "--seed",
        "11",
        "--telemetry",
        "races",
        "--telemetry-hz",
        "0.5",
        "--out",
        str(snapshot),
    )
    assert made.returncode == 0, made.stderr
    warehouse = root / "openf1.duckdb"
    loaded = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse), "--telemetry")
    assert loaded.returncode == 0, loaded.stderr
    return snapshot, warehouse


@pytest.mark.slow
def test_every_endpoint_of_a_simulated_season_loads(simulated: tuple[Path, Path]) -> None:
    snapshot, warehouse = simulated
    counts = table_counts(warehouse)
    assert set(endpoints_in(snapshot)) == set(catalogue.ENDPOINTS)
    for endpoint in catalogue.ENDPOINTS:
        assert counts.get(endpoint) == expected_rows(snapshot, endpoint), endpoint


@pytest.mark.slow
def test_telemetry_in_time_windows_loads_the_same_rows(simulated: tuple[Path, Path], tmp_path: Path) -> None:
    """Remote APIs get telemetry in ten-minute windows per driver: the windows must tile without gaps or overlaps."""
    snapshot, warehouse = simulated
    windowed = tmp_path / "windowed.duckdb"
    result = run_module(
        PIPELINE,
        "--source",
        str(snapshot),
        "--warehouse",
        str(windowed),
        "--endpoints",
        "car_data,location",
        "--telemetry-window-minutes",
        "10",
    )
    assert result.returncode == 0, result.stderr
    whole, tiled = table_counts(warehouse), table_counts(windowed)
    assert tiled["car_data"] == whole["car_data"] and tiled["location"] == whole["location"]


@pytest.mark.slow
def test_reloaded_telemetry_keeps_each_sessions_latest_complete_load(
    simulated: tuple[Path, Path], tmp_path: Path
) -> None:
    """Telemetry is appended, then each reloaded session's rows older than its newest complete load are deleted:
    those of the load it replaced, and of an older load abandoned half-way. Rows newer than the newest complete
    load may be a load still running: they stay (the staging models read complete loads only). Only the sessions
    a run loaded are looked at, unless a run died before its cleanup: then the next one looks at every session."""
    snapshot, loaded = simulated
    warehouse = tmp_path / "copy.duckdb"
    warehouse.write_bytes(loaded.read_bytes())
    stray = "insert into raw_openf1.location select * replace ('{load}' as _dlt_load_id) from raw_openf1.location "
    with duckdb.connect(str(warehouse)) as connection:
        loads = "select session_key, _dlt_load_id from raw_openf1.car_data group by all"
        before = dict(connection.sql(loads).fetchall())
        reloaded, kept = sorted(before)[:2]
        # half a package that never completed (in the table, not in _dlt_loads), older than the session's load
        connection.execute(stray.format(load="1000000000.5") + f"where session_key = {reloaded} limit 100")
        # and one newer than another session's load: perhaps another run's load, still going
        connection.execute(stray.format(load="9999999999.5") + f"where session_key = {kept} limit 50")
    reload = [PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse), "--endpoints", "car_data,location"]
    reload += ["--session", str(reloaded), "--full-refresh"]
    result = run_module(*reload)
    assert result.returncode == 0, result.stderr
    assert "rows of earlier loads of the same sessions deleted" in result.stderr
    counts = table_counts(warehouse)
    assert counts["car_data"] == expected_rows(snapshot, "car_data")
    assert counts["location"] == expected_rows(snapshot, "location") + 50
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        completed = {r[0] for r in connection.sql("select load_id from raw_openf1._dlt_loads").fetchall()}
        for table in ("car_data", "location"):
            after = connection.sql(f"select session_key, _dlt_load_id from raw_openf1.{table} group by all").fetchall()
            loads = {(session, load) for session, load in after}
            assert {load for session, load in loads if session == reloaded} == {
                load for session, load in loads if session == reloaded and load in completed
            }
            assert (reloaded, before[reloaded]) not in loads  # the replaced load is gone
            assert (reloaded, "1000000000.5") not in loads  # and the abandoned one
            assert (kept, before[kept]) in loads
        assert connection.sql(
            "select count(*) from raw_openf1.location where _dlt_load_id = '9999999999.5'"
        ).fetchall() == [(50,)]

    # a run that died after its loads, before its cleanup, left older rows of a session this run does not load
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(stray.format(load="1000000000.7") + f"where session_key = {kept} limit 30")
    pending = tmp_path / ".dlt" / warehouse.stem / "openf1" / "supersede-pending"
    assert pending.parent.is_dir(), "dlt's working folder moved: the marker below would not be where the loader looks"
    pending.touch()
    result = run_module(*reload)
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stale = connection.sql("select count(*) from raw_openf1.location where _dlt_load_id = '1000000000.7'")
        assert stale.fetchall() == [(0,)]
    assert not pending.exists()


@pytest.mark.slow
def test_real_telemetry_loads_through_the_arrow_path(tmp_path: Path) -> None:
    """The real 2024 Canada location snapshot (519k rows), with that season's meetings, sessions and drivers."""
    season, location = real_snapshot("2024-season"), real_snapshot("2024-canada-location")
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    for name in ("meetings", "sessions", "drivers"):
        (snapshot / f"{name}.jsonl.gz").symlink_to(season / f"{name}.jsonl.gz")
    (snapshot / "location.jsonl.gz").symlink_to(location / "location.jsonl.gz")
    session = str(next(iter_records(snapshot, "location"))["session_key"])
    warehouse = tmp_path / "w.duckdb"
    result = run_module(
        PIPELINE,
        "--source",
        str(snapshot),
        "--warehouse",
        str(warehouse),
        "--session",
        session,
        "--endpoints",
        "location",
    )
    assert result.returncode == 0, result.stderr
    assert table_counts(warehouse)["location"] == expected_rows(snapshot, "location")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        kind = connection.execute(
            "select data_type from information_schema.columns where table_schema = 'raw_openf1' "
            "and table_name = 'location' and column_name = 'date'"
        ).fetchone()[0]
    assert kind == "TIMESTAMP WITH TIME ZONE"


def _copy_with(source: Path, target: Path, endpoint: str, change: dict[str, object]) -> None:
    """A snapshot copy whose ``endpoint`` records carry ``change`` (OpenF1 adding or retyping a field)."""
    target.mkdir()
    for path in source.iterdir():
        if not path.name.startswith(f"{endpoint}."):
            (target / path.name).symlink_to(path)
    records = [{**record, **change} for record in iter_records(source, endpoint)]
    (target / f"{endpoint}.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")


@pytest.mark.slow
def test_a_field_openf1_adds_later_becomes_a_new_column(tmp_path: Path) -> None:
    source = real_snapshot("2025-abu-dhabi-race")
    _copy_with(source, tmp_path / "snapshot", "stints", {"tyre_set_id": 7})
    warehouse = tmp_path / "w.duckdb"
    result = run_module(PIPELINE, "--source", str(tmp_path / "snapshot"), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        values = connection.execute("select distinct tyre_set_id from raw_openf1.stints").fetchall()
    assert values == [(7,)]


@pytest.mark.slow
def test_a_field_whose_type_changes_loads_into_a_variant_column(tmp_path: Path) -> None:
    """dlt keeps values that no longer fit the declared type in a variant column (``<field>__v_<type>``);
    the dbt test tests/dbt/sources/assert_no_variant_columns_in_raw.sql flags such columns."""
    source = real_snapshot("2025-abu-dhabi-race")
    _copy_with(source, tmp_path / "snapshot", "stints", {"tyre_age_at_start": "unknown"})
    warehouse = tmp_path / "w.duckdb"
    result = run_module(PIPELINE, "--source", str(tmp_path / "snapshot"), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        kept = connection.execute(
            "select count(*) from raw_openf1.stints where tyre_age_at_start__v_text = 'unknown'"
        ).fetchone()[0]
    assert kept == expected_rows(source, "stints")

    flagged = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "test", "--select", "assert_no_variant_columns_in_raw"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "OPENF1_WAREHOUSE": str(warehouse),
            "DBT_PROFILES_DIR": str(ROOT),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_LOG_PATH": str(tmp_path / "logs"),
        },
    )
    assert flagged.returncode == 0, flagged.stdout  # a warning, not an error: the load itself is fine
    assert "WARN=1" in flagged.stdout


@pytest.mark.slow
def test_a_recent_session_is_refreshed_until_it_has_settled(tmp_path: Path) -> None:
    """A session that ended an hour ago may still change upstream: every run fetches it again."""
    from datetime import UTC, datetime, timedelta

    source = real_snapshot("2025-abu-dhabi-race")
    ended = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    _copy_with(source, tmp_path / "snapshot", "sessions", {"date_end": ended})
    warehouse = tmp_path / "w.duckdb"
    for _ in range(2):
        result = run_module(PIPELINE, "--source", str(tmp_path / "snapshot"), "--warehouse", str(warehouse))
        assert result.returncode == 0, result.stderr
        assert "1 sessions fetched, 0 skipped" in result.stdout
    assert table_counts(warehouse)["laps"] == expected_rows(source, "laps")


@pytest.mark.slow
def test_every_endpoint_of_the_real_2024_season_loads(
    real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]],
) -> None:
    """The whole real 2024 snapshot (the warehouse the truth test builds) holds every record of it."""
    snapshot = real_snapshot("2024-season")
    counts = table_counts(real_2024_build[0])
    for endpoint in endpoints_in(snapshot):
        assert counts.get(endpoint) == expected_rows(snapshot, endpoint), endpoint
