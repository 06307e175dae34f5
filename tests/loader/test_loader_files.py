"""The loader's two fast paths, on their own: telemetry bodies to Parquet (openf1.telemetry) and records that
fit the catalogue to Arrow (openf1.arrow); each must give what the slow path gives, or step aside."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from dlt.common.json import json as dlt_json

from dlt_pipelines.openf1 import catalogue
from dlt_pipelines.openf1.arrow import as_arrow, write_import_file
from dlt_pipelines.openf1.telemetry import WORKERS, _steps, to_parquet, worker_count

CAR_DATA = catalogue.get("car_data")
INTERVALS = catalogue.get("intervals")


def _car(n: int, **extra: object) -> dict[str, object]:
    return {
        "date": f"2025-03-09T12:00:{n:02d}.5+00:00",
        "session_key": 10311,
        "meeting_key": 1562,
        "driver_number": 4,
        "rpm": 10000 + n,
        "speed": 300,
        "n_gear": 8,
        "throttle": 99,
        "brake": 0,
        "drs": 12,
        **extra,
    }


def _parquet_rows(tmp_path: Path, body: bytes, endpoint: catalogue.Endpoint) -> tuple[list[dict], int, int]:
    target = tmp_path / "out.parquet"
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        written, left_out = to_parquet(connection, body, endpoint, target, "1234.5")
    return pq.read_table(target).to_pylist(), written, left_out


def test_telemetry_body_to_parquet_keeps_every_row_and_types(tmp_path: Path) -> None:
    records = [_car(n) for n in range(5)]
    rows, written, left_out = _parquet_rows(tmp_path, json.dumps(records).encode(), CAR_DATA)
    assert (written, left_out) == (5, 0)
    assert [r["rpm"] for r in rows] == [10000 + n for n in range(5)]
    assert rows[1]["date"].isoformat() == "2025-03-09T12:00:01.500000+00:00"
    assert {r["_dlt_load_id"] for r in rows} == {"1234.5"}


@pytest.mark.parametrize("separator", [",", ", ", ",\n"])
def test_separators_and_strings_that_look_like_them(tmp_path: Path, separator: str) -> None:
    records = [_car(0), _car(1, note='x"},{"y'), _car(2, note="a},{b")]
    body = ("[" + separator.join(json.dumps(r, separators=(",", ":")) for r in records) + "]").encode()
    rows, written, _ = _parquet_rows(tmp_path, body, CAR_DATA)
    assert written == 3
    assert [r["rpm"] for r in rows] == [10000, 10001, 10002]


def test_rows_without_a_key_are_left_out_and_counted(tmp_path: Path) -> None:
    records = [_car(0), _car(1, driver_number=None), _car(2), _car(3, date=None), _car(4)]
    rows, written, left_out = _parquet_rows(tmp_path, json.dumps(records).encode(), CAR_DATA)
    assert (written, left_out) == (3, 2)
    assert [r["rpm"] for r in rows] == [10000, 10002, 10004]
    assert not pq.read_schema(tmp_path / "out.parquet").field("driver_number").nullable


def _interval(**changes: object) -> dict[str, object]:
    record = {
        "gap_to_leader": "1.234",
        "interval": '"+1 LAP"',
        "driver_number": 1,
        "date": "2024-03-02T15:05:00.3+00:00",
        "session_key": 9472,
        "meeting_key": 1229,
    }
    return record | changes


def test_records_that_fit_the_catalogue_become_arrow_with_its_types(tmp_path: Path) -> None:
    table = as_arrow([_interval(), _interval(driver_number=4, date="2024-03-02T17:05:00+02:00")], INTERVALS)
    assert table is not None
    assert str(table.schema.field("date").type) == "timestamp[us, tz=UTC]"
    assert table.column("date").to_pylist()[1].isoformat() == "2024-03-02T15:05:00+00:00"
    assert not table.schema.field("session_key").nullable and table.schema.field("gap_to_leader").nullable
    path = tmp_path / "intervals-9472.parquet"
    write_import_file(table, path, "99.1")
    written = pq.read_table(path).to_pylist()
    assert [r["_dlt_id"] for r in written] == ["99.1.intervals-9472.0", "99.1.intervals-9472.1"]
    assert {r["_dlt_load_id"] for r in written} == {"99.1"}


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({"brand_new_field": 1}, id="new-field"),
        pytest.param({"driver_number": "1"}, id="number-as-text"),
        pytest.param({"session_key": 9472.5}, id="float-in-bigint"),
        pytest.param({"date": "not a date"}, id="bad-timestamp"),
    ],
)
def test_records_that_do_not_fit_go_to_dlts_normaliser(odd: dict[str, object]) -> None:
    assert as_arrow([_interval(), _interval(**odd)], INTERVALS) is None


def test_json_columns_take_the_fast_path_only_as_dlts_text() -> None:
    """BigQuery cannot load JSON columns from Parquet: without ``json_as_text`` they go to dlt's normaliser;
    with it (DuckDB) they travel as the text dlt's own Parquet writer makes of them, texts left as they are."""
    laps = catalogue.get("laps")
    assert any(spec["data_type"] == "json" for spec in laps.columns.values())
    records = [
        {"session_key": 1, "driver_number": 1, "lap_number": 1, "segments_sector_1": [None, 2049, 2051]},
        {"session_key": 1, "driver_number": 1, "lap_number": 2, "segments_sector_1": None},
        {"session_key": 1, "driver_number": 1, "lap_number": 3, "segments_sector_1": "[2048]"},
    ]
    assert as_arrow(records, laps) is None
    table = as_arrow(records, laps, json_as_text=True)
    assert table is not None
    assert table.column("segments_sector_1").to_pylist() == [dlt_json.dumps([None, 2049, 2051]), None, "[2048]"]
    assert records[0]["segments_sector_1"] == [None, 2049, 2051]  # the records themselves are left alone


def test_a_field_missing_from_the_first_record_is_not_lost() -> None:
    """Arrow takes a table's columns from its first record: the fast path must not drop a later one's field."""
    first = _interval()
    del first["gap_to_leader"]
    table = as_arrow([first, _interval(driver_number=4)], INTERVALS)
    assert table is None or table.column("gap_to_leader").to_pylist() == [None, "1.234"]


def test_a_session_without_requests_is_still_reported_done() -> None:
    """From OpenF1, a session whose drivers list is empty has no telemetry requests: it still counts as
    fetched (marked in the ledger, shown in the progress) with 0 rows."""
    plan = [({"session_key": 1}, []), ({"session_key": 2}, [[("session_key", "=", 2)], [("session_key", "=", 2)]])]
    steps = list(_steps(plan))
    assert [(s["session_key"], p is None, last) for s, p, last in steps] == [
        (1, True, True),
        (2, False, False),
        (2, False, True),
    ]


@pytest.mark.parametrize(("setting", "expected"), [("", WORKERS), ("4", 4), ("0", None), ("two", None), ("-1", None)])
def test_telemetry_worker_count_setting(monkeypatch: pytest.MonkeyPatch, setting: str, expected: int | None) -> None:
    monkeypatch.setenv("OPENF1_TELEMETRY_WORKERS", setting)
    if expected is None:
        with pytest.raises(ValueError, match="OPENF1_TELEMETRY_WORKERS"):
            worker_count()
    else:
        assert worker_count() == expected
