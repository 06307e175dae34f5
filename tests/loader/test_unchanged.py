"""Nothing new, nothing fetched (dlt_pipelines/unchanged.py): an unchanged snapshot already loaded whole is not
served and asked again; anything that could make a load fetch something makes it run."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from dlt_pipelines import unchanged


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[list[str], Path, Path]:
    """A snapshot folder and a warehouse whose last load was of it: the loader's arguments, folder, warehouse."""
    folder = tmp_path / "snapshot"
    (folder / "car_data").mkdir(parents=True)
    (folder / "laps.jsonl").write_text('{"session_key": 1, "lap_number": 1}\n')
    (folder / "car_data" / "1.jsonl").write_text('{"session_key": 1}\n')
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw_openf1")
        connection.execute(
            "create table raw_openf1._dlt_loads (load_id varchar, status integer, inserted_at timestamptz)"
        )
        connection.execute("insert into raw_openf1._dlt_loads values ('1700000000.1', 0, now())")
    (tmp_path / ".dlt" / "w").mkdir(parents=True)
    argv = ["--source", str(folder), "--destination", "duckdb", "--warehouse", str(warehouse), "--telemetry"]
    unchanged.record(argv, still_due=False)
    return argv, folder, warehouse


def test_the_same_snapshot_loaded_whole_is_not_loaded_again(loaded: tuple[list[str], Path, Path]) -> None:
    argv, folder, _ = loaded
    line = unchanged.why_unchanged(argv)
    assert line is not None and line.startswith(f"Load skipped: nothing new in {folder}")
    assert "FULL_REFRESH=1" in line
    assert unchanged.main(argv) == 0


def test_a_changed_snapshot_file_loads(loaded: tuple[list[str], Path, Path]) -> None:
    argv, folder, _ = loaded
    (folder / "car_data" / "2.jsonl").write_text('{"session_key": 2}\n')
    assert unchanged.why_unchanged(argv) is None
    assert unchanged.main(argv) == 1


def test_a_rewritten_file_of_the_same_size_loads(loaded: tuple[list[str], Path, Path]) -> None:
    argv, folder, _ = loaded
    laps = folder / "laps.jsonl"
    stat = laps.stat()
    laps.write_text('{"session_key": 1, "lap_number": 2}\n')
    os.utime(laps, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert unchanged.why_unchanged(argv) is None


def test_other_arguments_or_settings_load(
    loaded: tuple[list[str], Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv, _, _ = loaded
    assert unchanged.why_unchanged([a for a in argv if a != "--telemetry"]) is None
    assert unchanged.why_unchanged([*argv, "--full-refresh"]) is None
    assert unchanged.why_unchanged([*argv, "--refresh-results"]) is None
    monkeypatch.setenv("OPENF1_RESULTS_WINDOW_DAYS", "30")
    assert unchanged.why_unchanged(argv) is None


def test_a_load_since_the_record_loads(loaded: tuple[list[str], Path, Path]) -> None:
    """make live, another load or a new warehouse file at the same path: the warehouse's loads differ."""
    argv, _, warehouse = loaded
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into raw_openf1._dlt_loads values ('1700000200.5', 0, now())")
    assert unchanged.why_unchanged(argv) is None


def test_a_session_left_due_loads_again(loaded: tuple[list[str], Path, Path]) -> None:
    argv, _, _ = loaded
    unchanged.record(argv, still_due=True)  # a session inside its settling time or amendment window
    assert unchanged.why_unchanged(argv) is None


def test_the_live_api_and_urls_are_always_asked(tmp_path: Path) -> None:
    for source in ("live", "http://127.0.0.1:8765/v1"):
        argv = ["--source", source, "--destination", "duckdb", "--warehouse", str(tmp_path / "w.duckdb")]
        unchanged.record(argv, still_due=False)
        assert unchanged.why_unchanged(argv) is None
