"""The replay server against real OpenF1 snapshots, over real HTTP on loopback.

Every expected answer is computed here from the snapshot files themselves (filtered in Python), never copied
from the server's output. Needs ../shared/openf1-real (skipped with a reason when absent).
"""

from __future__ import annotations

import csv
import functools
import gzip
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest

from openf1_replay.server import FaultConfig, FaultSpecError, ReplayServer
from openf1_replay.server.query import QueryError, parse_datetime, parse_query
from openf1_replay.snapshot import SnapshotError, SnapshotWriter
from tests.conftest import die_with_parent

ROOT = Path(__file__).resolve().parents[2]
REAL = Path(os.environ.get("OPENF1_SHARED", ROOT.parent / "shared")) / "openf1-real"
ABU_DHABI = "2025-abu-dhabi-race"
SEASON = "2024-season"
CANADA = "2024-canada-location"
SORT_KEYS = ("date", "date_start", "meeting_key", "session_key", "lap_start", "lap_number", "lap_end", "date_end")
SORT_KEYS += ("driver_number",)
Record = dict[str, Any]
pytestmark = pytest.mark.real


# ---------------------------------------------------------------------------------------------- helpers


def real(folder: str) -> Path:
    path = REAL / folder
    if not path.is_dir():
        pytest.skip(f"real OpenF1 snapshots not found at {path} (set OPENF1_SHARED to the shared folder)")
    return path


@functools.cache
def lines(folder: str, endpoint: str) -> list[str]:
    """The stored JSON text of every record, in file order (cached: treat as read-only)."""
    with gzip.open(real(folder) / f"{endpoint}.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle if line.strip()]


@functools.cache
def _parsed(folder: str, endpoint: str) -> tuple[Record, ...]:
    return tuple(json.loads(line) for line in lines(folder, endpoint))


def records(folder: str, endpoint: str) -> list[Record]:
    """Every record of a real snapshot file, in file order."""
    return list(_parsed(folder, endpoint))


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def openf1_order(rows: list[Record]) -> list[Record]:
    """OpenF1's own ordering (query_api/sort.py): by the sort keys every row has a value for, stable.
    Dates compare as the ISO strings they are (real data holds a few "NaT+00:00": they sort last)."""
    keys = [k for k in SORT_KEYS if all(r.get(k) is not None for r in rows)]
    return sorted(rows, key=lambda r: tuple(r[k] for k in keys))


def day(r: Record) -> str | None:
    """The UTC day of a record's date, None when the date is not one (real data holds "NaT+00:00")."""
    try:
        return moment(r["date"]).date().isoformat()
    except ValueError:
        return None


def exact(rows: list[Record]) -> list[str]:
    """JSON texts that tell 1 from 1.0, '+1 LAP' from a number, and field order."""
    return [json.dumps(r) for r in rows]


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get_json(url: str, **kwargs: Any) -> tuple[int, Any]:
    status, _, body = get(url, **kwargs)
    return status, json.loads(body)


@pytest.fixture(scope="module")
def abu_dhabi() -> Iterator[ReplayServer]:
    with ReplayServer(real(ABU_DHABI), rate_limit=None, credentials=("fan", "s3cret")) as server:
        yield server


@pytest.fixture(scope="module")
def season() -> Iterator[ReplayServer]:
    with ReplayServer(real(SEASON), rate_limit=None) as server:
        yield server


@pytest.fixture(scope="module")
def canada() -> Iterator[ReplayServer]:
    with ReplayServer(real(CANADA), rate_limit=None) as server:
        yield server


@pytest.fixture
def faulty(abu_dhabi: ReplayServer) -> Iterator[ReplayServer]:
    """The Abu Dhabi server, its faults cleared again after the test."""
    yield abu_dhabi
    abu_dhabi.faults = None


SERVERS = {ABU_DHABI: "abu_dhabi", SEASON: "season", CANADA: "canada"}


# ---------------------------------------------------------------------------------------------- filters


FILTER_CASES = [
    pytest.param(
        ABU_DHABI,
        "laps",
        "session_key=9839&lap_number>=50&driver_number=1&driver_number=4",
        lambda r: r["session_key"] == 9839 and r["lap_number"] >= 50 and r["driver_number"] in (1, 4),
        id="laps-bound-and-repeated-driver",
    ),
    pytest.param(
        ABU_DHABI,
        "intervals",
        "session_key=9839&date>2025-12-07T13:30:00&date<=2025-12-07T13:35:00",
        lambda r: moment("2025-12-07T13:30:00+00:00") < moment(r["date"]) <= moment("2025-12-07T13:35:00+00:00"),
        id="datetime-range",
    ),
    pytest.param(
        ABU_DHABI,
        "intervals",
        "date>=2025-12-07T15:30:00+02:00&date<2025-12-07T13:31:00%2B00:00",
        lambda r: moment("2025-12-07T13:30:00+00:00") <= moment(r["date"]) < moment("2025-12-07T13:31:00+00:00"),
        id="timezone-plus-decoded-as-space",
    ),
    pytest.param(SEASON, "weather", "date=2024-03-02", lambda r: day(r) == "2024-03-02", id="date-only-is-whole-day"),
    pytest.param(
        SEASON, "weather", "date>2024-03-02", lambda r: (day(r) or "") >= "2024-03-03", id="date-only-after-next-day"
    ),
    pytest.param(
        SEASON,
        "weather",
        "date<2024-03-09",
        lambda r: day(r) is not None and day(r) < "2024-03-09",
        id="date-only-before",
    ),
    pytest.param(
        SEASON,
        "weather",
        "date<=2024-03-09",
        lambda r: day(r) is not None and day(r) <= "2024-03-09",
        id="date-only-through-day",
    ),
    pytest.param(
        SEASON,
        "weather",
        "date>=2024-03-02&date<2024-03-02T15:00:00&date=2024-03-09&date=2024-03-02",
        lambda r: day(r) == "2024-03-02" and r["date"] < "2024-03-02T15",
        id="dates-or-equalities-and-bounds",
    ),
    pytest.param(
        SEASON,
        "laps",
        "session_key=9472&lap_duration>=95&lap_duration<95.5",
        lambda r: r["session_key"] == 9472 and r["lap_duration"] is not None and 95 <= r["lap_duration"] < 95.5,
        id="float-bounds-on-json-field",
    ),
    pytest.param(
        SEASON,
        "session_result",
        "session_key=9472&dnf=false&position<=3",
        lambda r: r["session_key"] == 9472 and r["dnf"] is False and r["position"] is not None and r["position"] <= 3,
        id="boolean-and-number",
    ),
    pytest.param(
        SEASON,
        "stints",
        "session_key=9472&compound=SOFT",
        lambda r: r["session_key"] == 9472 and r["compound"] == "SOFT",
        id="text",
    ),
    pytest.param(
        SEASON,
        "laps",
        "session_key=9472&segments_sector_1=2064",
        lambda r: r["session_key"] == 9472 and 2064 in (r["segments_sector_1"] or []),
        id="array-contains",
    ),
    pytest.param(
        ABU_DHABI,
        "intervals",
        "gap_to_leader=%2B1%20LAP",
        lambda r: r["gap_to_leader"] == "+1 LAP",
        id="mixed-field-string",
    ),
    pytest.param(
        ABU_DHABI,
        "intervals",
        "interval>=30",
        lambda r: isinstance(r["interval"], float | int) and r["interval"] >= 30,
        id="mixed-field-number",
    ),
    pytest.param(
        SEASON,
        "meetings",
        "year=2024&country_code=ITA",
        lambda r: r["year"] == 2024 and r["country_code"] == "ITA",
        id="meetings-no-session-key",
    ),
    pytest.param(
        CANADA,
        "location",
        "session_key=9531&driver_number=44&date>=2024-06-09T18:30:00&date<2024-06-09T18:40:00",
        lambda r: r["driver_number"] == 44 and "2024-06-09T18:30" <= r["date"] < "2024-06-09T18:40",
        id="telemetry-window",
    ),
    pytest.param(
        CANADA,
        "location",
        "session_key=9531&driver_number=1",
        lambda r: r["driver_number"] == 1,
        id="telemetry-whole-session",
    ),
]


@pytest.mark.parametrize(("folder", "endpoint", "query", "keep"), FILTER_CASES)
def test_filters_return_exactly_the_matching_rows(
    request: pytest.FixtureRequest, folder: str, endpoint: str, query: str, keep: Callable[[Record], bool]
) -> None:
    server: ReplayServer = request.getfixturevalue(SERVERS[folder])
    expected = openf1_order([r for r in records(folder, endpoint) if keep(r)])
    assert expected, "the case must select something to prove anything"
    status, got = get_json(f"{server.base_url}/{endpoint}?{query}")
    assert status == 200
    assert exact(got) == exact(expected)


def test_answer_echoes_stored_text_byte_for_byte(abu_dhabi: ReplayServer) -> None:
    """intervals carries floats, ints and '+1 LAP' strings in one field: the body is the stored texts."""
    stored = lines(ABU_DHABI, "intervals")
    assert any(isinstance(json.loads(t)["gap_to_leader"], str) for t in stored)
    pairs = sorted(zip(stored, range(len(stored)), strict=True), key=lambda p: (moment(json.loads(p[0])["date"]), p[1]))
    _, headers, body = get(f"{abu_dhabi.base_url}/intervals?session_key=9839")
    assert body == ("[" + ",".join(text for text, _ in pairs) + "]").encode("utf-8")
    assert int(headers["Content-Length"]) == len(body)


def test_qualifying_array_durations_are_echoed(season: ReplayServer) -> None:
    rows = records(SEASON, "session_result")
    session = next(r["session_key"] for r in rows if isinstance(r["duration"], list))
    expected = openf1_order([r for r in rows if r["session_key"] == session])
    status, got = get_json(f"{season.base_url}/session_result?session_key={session}")
    assert status == 200
    assert exact(got) == exact(expected)
    assert any(isinstance(r["duration"], list) for r in got)


def test_laps_without_dates_sort_like_openf1(abu_dhabi: ReplayServer) -> None:
    """Lap 1 has no date_start, so OpenF1 sorts laps by lap_number then driver_number."""
    expected = openf1_order(records(ABU_DHABI, "laps"))
    status, got = get_json(f"{abu_dhabi.base_url}/laps?session_key=9839")
    assert status == 200
    assert exact(got) == exact(expected)


@pytest.mark.parametrize(
    ("endpoint", "key"),
    [pytest.param("sessions", "session_key", id="session"), pytest.param("meetings", "meeting_key", id="meeting")],
)
def test_latest(season: ReplayServer, endpoint: str, key: str) -> None:
    rows = [r for r in records(SEASON, endpoint) if r.get("is_cancelled") is not True]
    newest = max(rows, key=lambda r: moment(r["date_start"]))
    status, got = get_json(f"{season.base_url}/{endpoint}?{key}=latest")
    assert status == 200
    assert exact(got) == exact([newest])


def test_latest_session_laps(season: ReplayServer) -> None:
    newest = max(records(SEASON, "sessions"), key=lambda r: moment(r["date_start"]))["session_key"]
    expected = openf1_order([r for r in records(SEASON, "laps") if r["session_key"] == newest])
    status, got = get_json(f"{season.base_url}/laps?session_key=latest&driver_number=1")
    assert status == 200
    assert exact(got) == exact([r for r in expected if r["driver_number"] == 1])


def test_csv(abu_dhabi: ReplayServer) -> None:
    expected = openf1_order([r for r in records(ABU_DHABI, "laps") if r["driver_number"] == 1])
    status, headers, body = get(f"{abu_dhabi.base_url}/laps?session_key=9839&driver_number=1&csv=true")
    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(body.decode("utf-8")))
    assert reader.fieldnames == sorted(set().union(*expected))
    as_csv = [{k: "" if v is None else str(v) for k, v in r.items()} for r in expected]
    assert list(reader) == as_csv


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        pytest.param("laps?session_key=1", 404, "No results found.", id="empty-result"),
        pytest.param("intervals?date<2025-12-07", 404, "No results found.", id="empty-before-day"),
        pytest.param("car_data?session_key=9839", 404, "No results found.", id="endpoint-not-in-snapshot"),
        pytest.param("laps?no_such_field=1", 404, "No results found.", id="unknown-field"),
        pytest.param("nonsense", 404, "Not Found", id="unknown-endpoint"),
        pytest.param("laps/extra", 404, "Not Found", id="nested-path"),
    ],
)
def test_not_found(abu_dhabi: ReplayServer, path: str, status: int, detail: str) -> None:
    assert get_json(f"{abu_dhabi.base_url}/{path}") == (status, {"detail": detail})


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("session_key=abc", id="number-field-text"),
        pytest.param("date_start>yesterday", id="bad-datetime"),
        pytest.param("date=2025-13-45", id="impossible-day"),
        pytest.param("is_pit_out_lap=maybe", id="bad-boolean"),
        pytest.param("segments_sector_1>=2049", id="operator-on-array"),
        pytest.param("lap_number", id="no-operator"),
        pytest.param("=5", id="no-field"),
        pytest.param("lap%20number=5", id="bad-field-name"),
        pytest.param("csv=maybe", id="bad-csv"),
        pytest.param("session_key>=latest", id="latest-with-operator"),
    ],
)
def test_bad_filters_are_422(abu_dhabi: ReplayServer, query: str) -> None:
    status, body = get_json(f"{abu_dhabi.base_url}/laps?{query}")
    assert status == 422
    assert isinstance(body["detail"], str) and body["detail"]


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="unfiltered"),
        pytest.param("?driver_number=1", id="driver-only"),
        pytest.param("?session_key>=9531", id="session-bound-only"),
    ],
)
def test_unnarrowed_telemetry_is_500(canada: ReplayServer, query: str) -> None:
    status, _, _ = get(f"{canada.base_url}/location{query}")
    assert status == 500


@pytest.mark.parametrize("method", [pytest.param(m, id=m) for m in ("POST", "PUT", "DELETE")])
def test_only_get(abu_dhabi: ReplayServer, method: str) -> None:
    try:
        urlopen(Request(f"{abu_dhabi.base_url}/laps", data=b"", method=method), timeout=5)
    except HTTPError as error:
        assert error.code == 405
    else:
        pytest.fail("expected 405")


# ---------------------------------------------------------------------------------------------- rate limit


def test_rate_limit_sliding_window(abu_dhabi: ReplayServer) -> None:
    abu_dhabi.set_rate_limit((3, 0.5))
    abu_dhabi.state.retry_after = True
    try:
        url = f"{abu_dhabi.base_url}/drivers?driver_number=1"
        statuses = [get(url)[0] for _ in range(4)]
        status, headers, body = get(url)
        time.sleep(0.6)
        after_window = get(url)[0]
    finally:
        abu_dhabi.set_rate_limit(None)
        abu_dhabi.state.retry_after = False
    assert statuses == [200, 200, 200, 429]
    assert (status, json.loads(body)) == (429, {"detail": "Rate exceeded"})
    assert headers["Retry-After"] == "1"
    assert after_window == 200


# ---------------------------------------------------------------------------------------------- faults


def _statuses(server: ReplayServer, count: int, **kwargs: Any) -> list[int]:
    return [get(f"{server.base_url}/drivers?driver_number=1", **kwargs)[0] for _ in range(count)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("burst_429=3", [429, 429, 429, 200, 200, 200, 200], id="burst-429"),
        pytest.param("burst_429=2,burst_every=4", [429, 429, 200, 200, 429, 429, 200], id="burst-429-repeated"),
        pytest.param("session_in_progress=2", [401, 401, 200, 200, 200, 200, 200], id="session-in-progress"),
        pytest.param("error_rate=1,error_codes=503", [503] * 7, id="errors-503"),
    ],
)
def test_fault_schedules(faulty: ReplayServer, spec: str, expected: list[int]) -> None:
    faulty.faults = spec
    assert _statuses(faulty, len(expected)) == expected


def test_error_rate_mixes_5xx_deterministically(faulty: ReplayServer) -> None:
    faulty.faults = FaultConfig(seed=7, error_rate=0.5)
    first = _statuses(faulty, 30)
    faulty.faults = FaultConfig(seed=7, error_rate=0.5)
    assert _statuses(faulty, 30) == first
    assert set(first) - {200} <= {500, 502, 503}
    assert 200 in first and len(set(first) - {200}) >= 2


def test_session_in_progress_detail_and_token(faulty: ReplayServer) -> None:
    faulty.faults = FaultConfig(session_in_progress_rate=1.0)
    status, body = get_json(f"{faulty.base_url}/drivers")
    assert status == 401 and body["detail"].startswith("Session in progress")
    token_url = f"{faulty.root_url}/token"
    with pytest.raises(HTTPError) as refused:
        urlopen(token_url, data=urlencode({"username": "fan", "password": "wrong"}).encode(), timeout=5)
    assert refused.value.code == 401
    with urlopen(token_url, data=urlencode({"username": "fan", "password": "s3cret"}).encode(), timeout=5) as answer:
        token = json.loads(answer.read())
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    authorized = {"Authorization": f"Bearer {token['access_token']}"}
    assert _statuses(faulty, 3, headers=authorized) == [200, 200, 200]


def test_slow_answers_time_clients_out(faulty: ReplayServer) -> None:
    faulty.faults = FaultConfig(slow_rate=1.0, slow_seconds=1.0)
    started = time.monotonic()
    with pytest.raises((TimeoutError, URLError)):
        urlopen(f"{faulty.base_url}/drivers", timeout=0.3).read()
    assert time.monotonic() - started < 1.0
    faulty.faults = None
    assert get(f"{faulty.base_url}/drivers")[0] == 200


def test_truncated_answers(faulty: ReplayServer) -> None:
    faulty.faults = FaultConfig(truncate_rate=1.0)
    parts = urlsplit(faulty.base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    connection.request("GET", f"{parts.path}/laps?session_key=9839")
    response = connection.getresponse()
    declared = int(response.getheader("Content-Length") or 0)
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    connection.close()
    assert 0 < len(cut.value.partial) < declared


def test_changed_type(faulty: ReplayServer) -> None:
    faulty.faults = "changed_type=laps.lap_duration"
    expected = openf1_order([r for r in records(ABU_DHABI, "laps") if r["driver_number"] == 4])
    _, got = get_json(f"{faulty.base_url}/laps?driver_number=4")
    assert [r["lap_duration"] for r in got] == [
        None if r["lap_duration"] is None else str(r["lap_duration"]) for r in expected
    ]
    assert exact([{k: v for k, v in r.items() if k != "lap_duration"} for r in got]) == exact(
        [{k: v for k, v in r.items() if k != "lap_duration"} for r in expected]
    )
    _, stints = get_json(f"{faulty.base_url}/stints?driver_number=4")
    assert all(isinstance(r["lap_end"], int) for r in stints)


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("error_rate=2", id="rate-above-one"),
        pytest.param("nonsense=1", id="unknown-fault"),
        pytest.param("burst_429", id="no-value"),
        pytest.param("changed_type=laps", id="changed-type-without-field"),
        pytest.param("error_codes=404", id="error-code-not-5xx"),
    ],
)
def test_bad_fault_specs(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        FaultConfig.parse(spec)


# ---------------------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "iso", "date_only"),
    [
        pytest.param("2023-09-16", "2023-09-16T00:00:00+00:00", True, id="day"),
        pytest.param("2023-09-16T13:00:00", "2023-09-16T13:00:00+00:00", False, id="naive-is-utc"),
        pytest.param("2023-09-16T15:00:00 02:00", "2023-09-16T13:00:00+00:00", False, id="space-is-plus"),
        pytest.param("2023-09-16 13:00:00.5Z", "2023-09-16T13:00:00.500000+00:00", False, id="space-separator-zulu"),
        pytest.param("2023-09-16T13:00", "2023-09-16T13:00:00+00:00", False, id="minutes"),
    ],
)
def test_parse_datetime(text: str, iso: str, date_only: bool) -> None:
    parsed = parse_datetime(text)
    assert parsed is not None
    assert (parsed[0].isoformat(), parsed[1]) == (iso, date_only)


def test_parse_query_splits_operators_inside_keys() -> None:
    query = parse_query("lap_number>=50&driver_number=1&driver_number=44&date%3C2023-09-16T13:05:00&csv=true")
    assert query.csv
    assert [c.op for c in query.filters["lap_number"].bounds] == [">="]
    assert [[c.value for c in alt] for alt in query.filters["driver_number"].alternatives] == [[1], [44]]
    assert query.filters["date"].bounds[0].op == "<"
    with pytest.raises(QueryError):
        parse_query("lap_number")


# ---------------------------------------------------------------------------------------------- formats, cache


def test_other_file_formats_and_part_folders(tmp_path: Path) -> None:
    """A snapshot mixing .json arrays, .csv and a folder of parts answers like the .jsonl.gz original."""
    stints, drivers, pit = (records(ABU_DHABI, e) for e in ("stints", "drivers", "pit"))
    (tmp_path / "stints.json").write_text(json.dumps(stints), encoding="utf-8")
    with open(tmp_path / "drivers.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(drivers[0]))
        writer.writeheader()
        # cells hold JSON texts: snapshot.iter_file reads them back with their types
        writer.writerows({k: "" if v is None else json.dumps(v) for k, v in r.items()} for r in drivers)
    with SnapshotWriter(tmp_path) as writer:
        writer.write("pit", pit[:10], part="a")
        writer.write("pit", pit[10:], part="b")
    with ReplayServer(tmp_path, rate_limit=None) as server:
        for endpoint, rows in (("stints", stints), ("drivers", drivers), ("pit", pit)):
            status, got = get_json(f"{server.base_url}/{endpoint}?session_key=9839")
            assert status == 200
            assert exact(got) == exact(openf1_order(rows)), endpoint


def test_db_cache_is_reused_until_files_change(tmp_path: Path) -> None:
    snapshot_dir = tmp_path / "snap"
    with SnapshotWriter(snapshot_dir) as writer:
        writer.write("pit", records(ABU_DHABI, "pit"))
        writer.write("stints", records(ABU_DHABI, "stints"))
    db = tmp_path / "cache.duckdb"
    with ReplayServer(snapshot_dir, rate_limit=None, db_path=db) as server:
        assert server.state.store.reused == set()
        first = get(f"{server.base_url}/pit?session_key=9839")
    with ReplayServer(snapshot_dir, rate_limit=None, db_path=db) as server:
        assert server.state.store.reused == {"pit", "stints"}
        assert get(f"{server.base_url}/pit?session_key=9839")[2] == first[2]
    with SnapshotWriter(snapshot_dir) as writer:
        writer.write("pit", records(ABU_DHABI, "pit")[:3])
    with ReplayServer(snapshot_dir, rate_limit=None, db_path=db) as server:
        assert server.state.store.reused == {"stints"}
        assert len(get_json(f"{server.base_url}/pit")[1]) == 3


def _split_telemetry(root: Path, rows_per_driver: int | None = None) -> tuple[list[Record], int, int]:
    """Canada's location records as two sessions (the real one and a copy under the next session_key), one
    file per session and driver as the recorder writes them (``location/<session>_<driver>.jsonl.gz``); with
    ``rows_per_driver``, each driver's first rows only (which files a query reads does not need them all)."""
    real_rows = records(CANADA, "location")
    if rows_per_driver is not None:
        kept: list[Record] = []
        per_driver: dict[int, int] = {}
        for row in real_rows:
            per_driver[row["driver_number"]] = per_driver.get(row["driver_number"], 0) + 1
            if per_driver[row["driver_number"]] <= rows_per_driver:
                kept.append(row)
        real_rows = kept
    first = real_rows[0]["session_key"]
    second = first + 1
    copied = [{**r, "session_key": second} for r in real_rows]
    with SnapshotWriter(root) as writer:
        for rows in (real_rows, copied):
            for driver in sorted({r["driver_number"] for r in rows}):
                part = f"{rows[0]['session_key']}_{driver}"
                writer.write("location", [r for r in rows if r["driver_number"] == driver], part=part)
    return real_rows + copied, first, second


# reading a session's real telemetry takes seconds, many on a busy machine: a timeout here is not the test's point
READ_S = 120.0


@pytest.mark.slow  # two minutes of real telemetry: not the inner loop
def test_per_session_telemetry_is_read_on_demand(tmp_path: Path) -> None:
    """Telemetry files named for their session are read when that session is asked for, at most
    ``lazy_sessions`` at a time, and every answer is the one the whole snapshot gives."""
    everything, first, second = _split_telemetry(tmp_path)
    driver = everything[0]["driver_number"]
    with ReplayServer(tmp_path, rate_limit=None, lazy_sessions=1) as server:
        store = server.state.store
        assert set(store.lazy_files["location"]) == {first, second}
        assert store.held_sessions() == []  # nothing read at start-up
        for session in (first, second, first):  # the second request evicts the first session's table
            status, got = get_json(f"{server.base_url}/location?session_key={session}", timeout=READ_S)
            assert status == 200
            assert exact(got) == exact(openf1_order([r for r in everything if r["session_key"] == session]))
            assert store.held_sessions() == [("location", session)]
        low, high = "2024-06-09T18:30:00", "2024-06-09T18:40:00"
        status, got = get_json(
            f"{server.base_url}/location?session_key={second}&driver_number={driver}&date>={low}&date<{high}",
            timeout=READ_S,
        )
        expected = [
            r
            for r in everything
            if r["session_key"] == second
            and r["driver_number"] == driver
            and moment(low + "+00:00") <= moment(r["date"]) < moment(high + "+00:00")
        ]
        assert expected and exact(got) == exact(openf1_order(expected))
        status, got = get_json(
            f"{server.base_url}/location?session_key={first}&session_key={second}&driver_number={driver}",
            timeout=READ_S,
        )
        assert exact(got) == exact(openf1_order([r for r in everything if r["driver_number"] == driver]))
        assert get(f"{server.base_url}/location?session_key={second + 1}")[0] == 404


def test_telemetry_file_named_for_another_session_is_read_at_start_up(tmp_path: Path) -> None:
    """A name that is not the session the file holds (``2024_all``, or another session's key) does not hide
    its records: the file is read at start-up like any other and answers for the session it does hold."""
    rows = records(CANADA, "location")[:50]
    session = rows[0]["session_key"]
    with SnapshotWriter(tmp_path) as writer:
        writer.write("location", rows, part=str(session + 7))
        writer.write("location", [{**r, "session_key": session + 1} for r in rows], part="2024_all")
    with ReplayServer(tmp_path, rate_limit=None) as server:
        assert server.state.store.lazy_files == {}
        for key in (session, session + 1):
            status, got = get_json(f"{server.base_url}/location?session_key={key}")
            assert status == 200 and len(got) == len(rows)
        assert get(f"{server.base_url}/location?session_key={session + 7}")[0] == 404


def test_telemetry_file_holding_another_session_past_its_first_records_is_an_error(tmp_path: Path) -> None:
    rows = records(CANADA, "location")[:600]
    session = rows[0]["session_key"]
    strays = [{**r, "session_key": session + 1} for r in rows[500:]]
    with SnapshotWriter(tmp_path) as writer:
        writer.write("location", rows[:500] + strays, part=str(session))
    with ReplayServer(tmp_path, rate_limit=None) as server:
        assert get(f"{server.base_url}/location?session_key={session}")[0] == 500
        with pytest.raises(SnapshotError, match=rf"{session}\.jsonl\.gz: holds records of sessions other"):
            server.state.store.select("location", "true", [], {session})


def test_a_query_no_file_can_answer_reads_no_file(tmp_path: Path) -> None:
    _, first, _ = _split_telemetry(tmp_path, rows_per_driver=50)
    with ReplayServer(tmp_path, rate_limit=None) as server:
        assert get(f"{server.base_url}/location?session_key={first}.5")[0] == 404
        assert get(f"{server.base_url}/location?session_key=latest")[0] == 404  # no sessions endpoint here
        assert server.state.store.held_sessions() == []


# ---------------------------------------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "openf1_replay.server", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent,  # stopped by Linux if pytest dies before its finally
    )


@pytest.mark.parametrize(
    "signum", [pytest.param(signal.SIGTERM, id="sigterm"), pytest.param(signal.SIGINT, id="sigint")]
)
def test_cli_serves_and_stops_cleanly(signum: signal.Signals) -> None:
    process = _cli("--snapshot", str(real(ABU_DHABI)), "--port", "0", "--rate-limit", "0")
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith(f"serving {real(ABU_DHABI)} at http://127.0.0.1:") and line.endswith("/v1")
        base_url = line.rsplit(" ", 1)[1]
        status, got = get_json(f"{base_url}/pit?driver_number=1")
        assert status == 200
        assert exact(got) == exact(openf1_order([r for r in records(ABU_DHABI, "pit") if r["driver_number"] == 1]))
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""
    finally:
        process.kill()
        process.wait()


def _corrupt_line(folder: Path) -> Path:
    path = folder / "laps.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write('{"session_key": 1, "lap_number": 1}\n{"session_key": 1, "lap_numb\n')
    return path


def _not_gzip(folder: Path) -> Path:
    path = folder / "pit.jsonl.gz"
    path.write_bytes(b"this is not gzip")
    return path


def _cut_gzip(folder: Path) -> Path:
    path = folder / "weather.jsonl.gz"
    path.write_bytes((real(ABU_DHABI) / "weather.jsonl.gz").read_bytes()[:900])
    return path


@pytest.mark.parametrize(
    ("make", "mention"),
    [
        pytest.param(_corrupt_line, "line 2", id="bad-json-line"),
        pytest.param(_not_gzip, "write the snapshot again", id="not-gzip"),
        pytest.param(_cut_gzip, "write the snapshot again", id="cut-gzip"),
    ],
)
def test_cli_rejects_corrupt_files(tmp_path: Path, make: Callable[[Path], Path], mention: str) -> None:
    with SnapshotWriter(tmp_path) as writer:
        writer.write("drivers", [{"session_key": 1, "driver_number": 1}])
    bad = make(tmp_path)
    process = _cli("--snapshot", str(tmp_path), "--port", "0")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert str(bad) in err and mention in err


@pytest.mark.parametrize(
    ("args", "mention"),
    [
        pytest.param(["--snapshot", "/nonexistent/snapshot"], "does not exist", id="missing-folder"),
        pytest.param(["--snapshot", "."], "no endpoint files", id="no-endpoints"),
        pytest.param(["--snapshot", "/nonexistent", "--faults", "error_rate=x"], "bad fault", id="bad-faults"),
    ],
)
def test_cli_usage_errors(tmp_path: Path, args: list[str], mention: str) -> None:
    args = [str(tmp_path) if a == "." else a for a in args]
    process = _cli(*args, "--port", "0")
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and mention in err


def test_cli_port_in_use(tmp_path: Path) -> None:
    with SnapshotWriter(tmp_path) as writer:
        writer.write("drivers", [{"session_key": 1, "driver_number": 1}])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _cli("--snapshot", str(tmp_path), "--port", str(taken.getsockname()[1]))
        out, err = process.communicate(timeout=30)
    assert (process.returncode, out) == (2, "")
    assert "--port 0" in err
