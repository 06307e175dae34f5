"""Telemetry files written in answer order (``snapshot.OrderedFile``): the replay server answers a whole session
from their lines as they are, byte for byte what it answers by reading and sorting them, and only while the
file still matches its index entry. Synthetic records, so nothing here needs ../shared."""

from __future__ import annotations

import http.client
import json
import shutil
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from openf1_replay import snapshot
from openf1_replay.server import FaultConfig, ReplayServer
from openf1_replay.server.render import json_chunks, lines_as_array

SESSION = 9001
ORDER = ("date", "meeting_key", "session_key", "driver_number")
START = datetime(2025, 3, 2, 12, tzinfo=UTC)


def car_rows(session: int = SESSION) -> list[dict[str, Any]]:
    """Three cars, in car order, each sampled on its own clock; two cars share some instants (ties)."""
    rows = []
    for driver, step_ms in ((1, 270), (16, 270), (44, 250)):
        for i in range(400):
            moment = START + timedelta(milliseconds=i * step_ms)
            rows.append(
                {
                    "date": moment.isoformat(),
                    "session_key": session,
                    "meeting_key": 1200,
                    "driver_number": driver,
                    "speed": (i * 7 + driver) % 330,
                    "note": 'a, "quoted" },{ text' if i == 3 else None,  # separators inside a string
                }
            )
    return rows


def in_answer_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (datetime.fromisoformat(r["date"]), r["driver_number"]))  # stable


def as_lines(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, separators=(", ", ": ")).encode() + b"\n" for r in rows)


def write_ordered_snapshot(root: Path, rows: list[dict[str, Any]]) -> None:
    with snapshot.SnapshotWriter(root) as writer:
        writer.write("sessions", [{"session_key": SESSION, "meeting_key": 1200, "date_start": START.isoformat()}])
        writer.write_ordered("car_data", str(SESSION), as_lines(in_answer_order(rows)), ORDER)


def answer(server: ReplayServer, query: str) -> tuple[int, bytes]:
    try:
        with urlopen(f"{server.base_url}/{query}", timeout=10) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def test_writer_lists_ordered_parts_and_unlists_rewritten_ones(tmp_path: Path) -> None:
    rows = in_answer_order(car_rows())
    write_ordered_snapshot(tmp_path, rows)
    index = snapshot.read_index(tmp_path / "car_data")
    text = as_lines(rows)
    assert index == {f"{SESSION}.jsonl.gz": snapshot.OrderedFile(len(rows), len(text), zlib.crc32(text), ORDER)}
    assert snapshot.matches_index(tmp_path / "car_data" / f"{SESSION}.jsonl.gz", index[f"{SESSION}.jsonl.gz"])
    with snapshot.SnapshotWriter(tmp_path) as writer:  # the same part written the ordinary way
        writer.write("car_data", rows, part=str(SESSION))
    assert snapshot.read_index(tmp_path / "car_data") == {}
    with snapshot.SnapshotWriter(tmp_path) as writer, pytest.raises(snapshot.SnapshotError, match="newline"):
        writer.write_ordered("car_data", "9002", as_lines(rows)[:-1], ORDER)


def test_whole_session_answer_from_the_file_equals_the_sorted_answer(tmp_path: Path) -> None:
    rows = car_rows()
    ordered, plain = tmp_path / "ordered", tmp_path / "plain"
    write_ordered_snapshot(ordered, rows)
    shutil.copytree(ordered, plain)
    (plain / "car_data" / snapshot.INDEX).unlink()  # the same file, answered by reading and sorting it
    queries = [
        f"car_data?session_key={SESSION}",
        "car_data?session_key=latest",
        f"car_data?session_key={SESSION}&driver_number=16",
    ]
    with ReplayServer(ordered, rate_limit=None) as fast, ReplayServer(plain, rate_limit=None) as slow:
        assert SESSION in fast.state.store.ordered["car_data"]
        assert fast.state.store.ordered_file("car_data", SESSION) is not None
        assert slow.state.store.ordered_file("car_data", SESSION) is None
        for query in queries:
            status, body = answer(fast, query)
            assert (status, body) == answer(slow, query), query
            assert status == 200
        assert json.loads(answer(fast, f"car_data?session_key={SESSION}")[1]) == in_answer_order(rows)
        assert fast.state.store.held_sessions() == [("car_data", 9001)]  # only the driver query read the file
        assert answer(fast, "car_data?session_key=9002")[0] == 404


def _rewrite_in_car_order(root: Path, rows: list[dict[str, Any]]) -> None:
    """The session's file written again in car order, the old index entry put back (so it no longer matches)."""
    index = (root / "car_data" / snapshot.INDEX).read_text(encoding="utf-8")
    with snapshot.SnapshotWriter(root) as writer:
        writer.write("car_data", rows, part=str(SESSION))
    (root / "car_data" / snapshot.INDEX).write_text(index, encoding="utf-8")


@pytest.mark.parametrize("when", ["before start", "while serving"])
def test_a_changed_file_is_answered_by_reading_it(tmp_path: Path, when: str) -> None:
    rows = car_rows()
    write_ordered_snapshot(tmp_path, rows)
    if when == "before start":
        _rewrite_in_car_order(tmp_path, rows)
    with ReplayServer(tmp_path, rate_limit=None) as server:
        if when == "while serving":
            assert server.state.store.ordered_file("car_data", SESSION) is not None
            _rewrite_in_car_order(tmp_path, rows)
        assert server.state.store.ordered_file("car_data", SESSION) is None
        status, body = answer(server, f"car_data?session_key={SESSION}")
    assert status == 200
    assert json.loads(body) == in_answer_order(rows)


def test_records_of_the_session_in_another_file_are_not_left_out(tmp_path: Path) -> None:
    rows = car_rows()
    write_ordered_snapshot(tmp_path, rows)
    extra = {**rows[0], "driver_number": 99}
    with snapshot.SnapshotWriter(tmp_path) as writer:  # a file read at start-up with one more record
        writer.write("car_data", [extra], part="extra")
    with ReplayServer(tmp_path, rate_limit=None) as server:
        assert server.state.store.ordered_file("car_data", SESSION) is None
        status, body = answer(server, f"car_data?session_key={SESSION}")
    assert status == 200
    assert json.loads(body) == in_answer_order([*rows, extra])


def test_a_cut_answer_from_an_ordered_file(tmp_path: Path) -> None:
    write_ordered_snapshot(tmp_path, car_rows())
    with ReplayServer(tmp_path, rate_limit=None, faults=FaultConfig(truncate_rate=1.0)) as server:
        parts = urlsplit(server.base_url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
        connection.request("GET", f"{parts.path}/car_data?session_key={SESSION}")
        response = connection.getresponse()
        declared = int(response.getheader("Content-Length") or 0)
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        connection.close()
    assert 0 < len(cut.value.partial) < declared


@pytest.mark.parametrize("cut", [1, 2, 7, 1000])
def test_lines_as_array_matches_json_chunks(cut: int) -> None:
    texts = ['{"a": 1}', '{"b": "x\\ny"}', '{"c": [1, 2]}']
    text = ("\n".join(texts) + "\n").encode()
    pieces = [text[i : i + cut] for i in range(0, len(text), cut)]
    assert b"".join(lines_as_array(iter(pieces))) == b"".join(json_chunks([texts]))
    with pytest.raises(ValueError, match="newline"):
        b"".join(lines_as_array(iter([text[:-1]])))


def test_an_interrupted_writer_leaves_no_part(tmp_path: Path) -> None:
    """Ctrl-C while a part is written must not leave it behind (a recording resumes by skipping parts that
    exist, so an empty or cut part would be kept for good)."""
    with pytest.raises(KeyboardInterrupt), snapshot.SnapshotWriter(tmp_path) as writer:
        writer.write("laps", [{"session_key": 1, "lap_number": 1}], part="1")
        raise KeyboardInterrupt
    assert not list((tmp_path / "laps").iterdir())
    with snapshot.SnapshotWriter(tmp_path) as writer:
        writer.write("laps", [{"session_key": 1, "lap_number": 1}], part="1")
    assert [path.name for path in (tmp_path / "laps").iterdir()] == ["1.jsonl.gz"]
