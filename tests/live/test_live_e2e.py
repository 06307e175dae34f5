"""``make live`` end to end against the replay server's live clock: a simulated race (safety car, pit stops)
followed over REST and over MQTT, with the faults a race weekend brings, then handed over to ``make build``.

Each test pauses the race mid-way (the replay's clock all but stopped) and checks that the board shows what the
replay serves at that moment, then lets the race run to its end, and checks that the warehouse equals a batch
build of the same session from the same server, row for row, and that the normal build ran.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from tests.conftest import ROOT, die_with_parent, run_module, stop_group, stop_process
from tests.models.test_amendment_e2e import build
from tests.table_hash import relation_hash

pytestmark = pytest.mark.slow

SAMPLE = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1"
USER, PASSWORD = "live-test", "s3cret"
PAUSED = 0.0001  # the replay clock's speed while the test looks at the board: a virtual second in ~3 real hours
SPEED = 100.0


def jsonl(name: str) -> list[dict[str, Any]]:
    with gzip.open(SAMPLE / f"{name}.jsonl.gz", "rt") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def race() -> dict[str, Any]:
    """The sample's last race (the replay follows it by default): its key and the moment to pause at, lap 30
    of its leader, well after the first pit stops."""
    sessions = [s for s in jsonl("sessions") if s["session_name"] == "Race"]
    session = max(sessions, key=lambda s: s["date_start"])
    key = session["session_key"]
    laps = [lap for lap in jsonl("laps") if lap["session_key"] == key and lap["date_start"]]
    lap_30 = min(datetime.fromisoformat(lap["date_start"]) for lap in laps if lap["lap_number"] == 30)
    stops = [p for p in jsonl("pit") if p["session_key"] == key]
    assert stops and any(datetime.fromisoformat(p["date"]) < lap_30 for p in stops), "the pause must follow stops"
    return {"key": key, "pause_at": lap_30 + timedelta(seconds=20)}


class Server:
    """``python -m openf1_replay.server --live`` on a fixed port (so it can stop and come back)."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.process: subprocess.Popen[str] | None = None
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def start(self, start: datetime, speed: float, *extra: str) -> None:
        command = [
            sys.executable, "-m", "openf1_replay.server", "--snapshot", str(SAMPLE), "--port", str(self.port),
            "--live", "--speed", f"{speed:g}", "--start", start.isoformat(),  # the clock starts once it serves
            "--username", USER, "--password", PASSWORD, *extra,
        ]  # fmt: skip
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=die_with_parent
            )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("live: "):
                break
        else:
            raise AssertionError(f"the live replay did not start: {self.log.read_text()[-500:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def get(self, endpoint: str, **query: Any) -> list[dict[str, Any]]:
        """What the server serves now, as a client with the account sees it (waiting out its 429s)."""
        root = self.base_url.removesuffix("/v1")
        for _ in range(60):
            token = requests.post(f"{root}/token", data={"username": USER, "password": PASSWORD}, timeout=10)
            if token.status_code == 429:
                time.sleep(1)
                continue
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            answer = requests.get(f"{self.base_url}/{endpoint}", params=query, timeout=30, headers=bearer)
            if answer.status_code == 429:
                time.sleep(1)
                continue
            return [] if answer.status_code == 404 else answer.json()
        raise AssertionError(f"the server kept refusing {endpoint} (429)")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def live_target(warehouse: Path) -> Path:
    """Where make live keeps its dbt target and cycle log for ``warehouse`` (the Makefile's LIVE_TARGET)."""
    return ROOT / "target" / (str(warehouse.with_suffix("")).replace("/", "_") + "-live")


def cycles(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def wait_for(condition: Any, timeout: float, what: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"make live stopped ({process.returncode}) before {what}")
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


class Rows(HTMLParser):
    """The board's running-order rows: {driver_number: {data-col: text}}."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._col: str | None = None
        self._in_order = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id") == "running-order":
            self._in_order = True
        elif self._in_order and tag == "tr" and attributes.get("data-key"):
            self._row = attributes["data-key"]
            self.rows[self._row] = {}
        elif self._row is not None and tag == "td" and attributes.get("data-col"):
            self._col = attributes["data-col"]
            self.rows[self._row][self._col] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._col = None
        elif tag == "table":
            self._in_order = False
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._col is not None:
            self.rows[self._row][self._col] += data


def latest_by_driver(rows: list[dict[str, Any]], order: str) -> dict[int, dict[str, Any]]:
    latest: dict[int, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r[order] or "", r.get("date") or "")):
        latest[row["driver_number"]] = row
    return latest


def check_board_equals_the_replay(server: Server, key: int, board: Path, live_copy: Path) -> None:
    """Running order, tyres and gaps on the board = what the paused replay serves now."""
    positions = latest_by_driver(server.get("position", session_key=key), "date")
    stints = latest_by_driver(server.get("stints", session_key=key), "stint_number")
    intervals = latest_by_driver(server.get("intervals", session_key=key), "date")
    with duckdb.connect(str(live_copy), read_only=True) as con:
        board_rows = con.execute(
            "select driver_number, position, compound, stint_number, gap_source, gap_to_leader_s, interval_s"
            " from marts.board_running_order where session_key = ? order by position",
            [key],
        ).fetchall()
    assert len(board_rows) == len(positions) == 20
    for driver, position, compound, stint_number, gap_source, gap, interval in board_rows:
        assert position == positions[driver]["position"], f"car {driver}: board P{position}"
        assert (compound, stint_number) == (stints[driver]["compound"], stints[driver]["stint_number"]), driver
        served = intervals[driver]
        assert gap_source == "intervals"
        if isinstance(served["gap_to_leader"], (int, float)):
            assert gap == pytest.approx(served["gap_to_leader"], abs=1e-6), f"car {driver} gap"
        if isinstance(served["interval"], (int, float)):
            assert interval == pytest.approx(served["interval"], abs=1e-6), f"car {driver} interval"
    page = Rows()
    page.feed(board.read_text())
    assert [int(k) for k in page.rows] == [row[0] for row in board_rows], "the page lists the cars in board order"
    for driver, position, compound, *_ in board_rows:
        shown = page.rows[str(driver)]
        assert shown["position"].strip() == str(position)
        assert shown["compound"].strip()[:1] == compound[0]
    assert "PROVISIONAL" in board.read_text().upper()


# when the warehouse first saw a version of the results: the load's own time, different in any two builds
LOAD_TIME_COLUMNS = ("first_seen_load_id", "first_seen_at", "previous_seen_at")


def warehouse_differences(first: Path, second: Path) -> list[str]:
    """Tables of raw_openf1, marts and features whose rows differ, dlt's load columns and the load times aside.
    Doubles compare on the grid ``tests.table_hash`` uses (the builds' parallel averages differ in the last bits,
    a known matter of its own: tests/models/test_determinism.py)."""
    problems = []
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'b'"
            " and schema_name in ('raw_openf1', 'marts', 'features') and not starts_with(table_name, '_dlt')"
            " order by all"
        ).fetchall()
        assert len(tables) > 50
        for schema, table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'b' and schema_name = ?"
                    " and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                if not name.startswith("_dlt") and name not in LOAD_TIME_COLUMNS
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            hashes = [relation_hash(con, f'(select {listed} from {x}."{schema}"."{table}")') for x in ("a", "b")]
            if (hashes[0].rows, hashes[0].content) != (hashes[1].rows, hashes[1].content):
                problems.append(f"{schema}.{table}: {hashes[0].short()} against {hashes[1].short()}")
    return problems


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, race: dict[str, Any]) -> Path:
    """A batch load of the race from a live replay whose clock is past its end, built as make build builds it
    (seeds and models: the data tests, which change no row, run in the hand-over builds)."""
    folder = tmp_path_factory.mktemp("live-batch")
    server = Server(free_port(), folder / "server.log")
    server.start(race["pause_at"] + timedelta(hours=3), 1.0)
    warehouse = folder / "batch.duckdb"
    try:
        loaded = run_module(
            "dlt_pipelines.pipeline", "--source", server.base_url, "--session", str(race["key"]),
            "--warehouse", str(warehouse), "--quiet",
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stdout[-2000:] + loaded.stderr[-2000:]
    finally:
        server.stop()
    build(warehouse, folder / "target")
    return warehouse


def follow(
    tmp_path: Path, race: dict[str, Any], server: Server, transport: str, env: dict[str, str], fault: Any
) -> tuple[Path, str, list[dict[str, Any]]]:
    """make live until it exits: paused at ``race['pause_at']`` (the board checked there), then ``fault()``
    (which brings the race back at full speed), then to the end and the hand-over build."""
    warehouse, board = tmp_path / "live.duckdb", tmp_path / "board.html"
    log = live_target(warehouse) / "cycles.jsonl"
    log.unlink(missing_ok=True)
    out = (tmp_path / "make-live.log").open("w")
    process = subprocess.Popen(
        ["make", "live", f"SOURCE={server.base_url}", f"TRANSPORT={transport}", f"WAREHOUSE={warehouse}",
         f"BOARD={board}", f"REPORT_DIR={tmp_path / 'site'}"],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env={**os.environ, **env},
        start_new_session=True, preexec_fn=die_with_parent,
    )  # fmt: skip
    try:
        # paused: one cycle brings everything up to the pause, the next ones find nothing new and rebuild nothing
        wait_for(lambda: sum(c["board_written"] is None for c in cycles(log)[1:]) >= 2, 240, "idle cycles", process)
        live_copy = warehouse.parent / "published" / "live-live.duckdb"
        check_board_equals_the_replay(server, race["key"], board, live_copy)
        fault()
        process.wait(timeout=600)
    finally:
        stop_group(process)
        out.close()
    return warehouse, (tmp_path / "make-live.log").read_text(), cycles(log)


def check_the_end(warehouse: Path, batch: Path, output: str, log: list[dict[str, Any]], key: int) -> None:
    """The warehouse after the hand-over equals the batch build; before it, the last board the live run
    published already held every lap (with its sectors) and stint as the batch build has them."""
    assert "handing over to make build" in output, output[-3000:]
    assert re.search(r"Report: ", output), output[-3000:]  # make build's last line: the normal build ran
    assert log[-1]["phase"] == "finished"
    idle = sorted(c["cpu_s"] for c in log if c["board_written"] is None and not c["problem"])
    rebuilt = sorted(c["cpu_s"] for c in log if c["board_written"] is not None)
    # a cycle with nothing new costs its requests only (the process's CPU: MQTT's thread counts too)
    assert idle and idle[len(idle) // 2] < 0.3 < rebuilt[len(rebuilt) // 2], (idle, rebuilt)
    differences = warehouse_differences(warehouse, batch)
    assert differences == [], differences[:10]
    # and before the hand-over: the last load of each endpoint held the session's records as a batch holds them,
    # nothing missing and nothing twice, up to the newest record the loop had (weather and race control go on
    # after the finish: those later rows come with the hand-over build)
    last_load: dict[str, int] = {}
    for cycle in log:
        last_load.update(cycle["loaded"])
    newest = log[-1]["newest"]
    with duckdb.connect(str(batch), read_only=True) as con:
        for endpoint, rows in sorted(last_load.items()):
            dated = endpoint in ("position", "intervals", "pit", "race_control", "weather")
            (batch_rows,) = con.execute(
                f'select count(*) from raw_openf1."{endpoint}" where session_key = ?'
                + (" and date <= ?::timestamptz" if dated else ""),
                [key, newest[endpoint]] if dated else [key],
            ).fetchone()
            assert rows == batch_rows, f"{endpoint}: the live run held {rows} rows, a batch build {batch_rows}"
    assert {"laps", "intervals", "position", "pit", "stints", "race_control", "session_result"} <= set(last_load)
    live_copy = warehouse.parent / "published" / f"{warehouse.stem}-live.duckdb"
    with duckdb.connect() as con:
        con.execute(f"attach '{live_copy}' as live (read_only)")
        con.execute(f"attach '{batch}' as batch (read_only)")
        for mart in ("board_laps", "board_stints"):
            hashes = [
                relation_hash(con, f"(select * from {db}.marts.{mart} where session_key = {key})")
                for db in ("live", "batch")
            ]
            assert hashes[0].rows > 0 and hashes[0] == hashes[1], f"{mart}: {hashes[0].short()} != {hashes[1].short()}"


def test_rest_follows_a_race_through_a_server_restart_token_expiry_and_errors(
    tmp_path: Path, race: dict[str, Any], batch: Path
) -> None:
    server = Server(free_port(), tmp_path / "server.log")
    # OpenF1's budget on the server too (30 requests per 10 s: the loop must never be refused for going over),
    # tokens lasting 4 s (refreshed without a gap), bursts of 429s and some 5xx answers (waited out, retried)
    injected = "burst_429=2,burst_every=60,error_rate=0.1,seed=3"
    faults = ("--token-seconds", "4", "--rate-limit", "30/10", "--faults", injected)
    server.start(race["pause_at"], PAUSED, *faults)

    def restart() -> None:  # the server goes away for a while, then comes back with the clock running
        server.stop()
        time.sleep(12)
        server.start(race["pause_at"], SPEED, *faults)

    env = {"OPENF1_USERNAME": USER, "OPENF1_PASSWORD": PASSWORD}
    try:
        warehouse, output, log = follow(tmp_path, race, server, "rest", env, restart)
    finally:
        server.stop()
    check_the_end(warehouse, batch, output, log, race["key"])
    assert "connection failed: connection refused" in output, "the server was away"
    assert "rate limited (HTTP 429)" in output and "HTTP 50" in output
    # the budget, from the server's own request log: never more than 30 requests in 10 s, and no 429 but the
    # injected bursts (two every 60 requests)
    text = server.log.read_text()
    stamps = re.findall(r"^(\d\d):(\d\d):(\d\d\.\d{3}) \S+ \"(?:GET|POST) ", text, re.M)
    times = sorted(int(h) * 3600 + int(m) * 60 + float(s) for h, m, s in stamps)
    assert len(times) > 50
    # arrivals, not sends: allow the window a tenth of a second of network jitter
    assert max(sum(1 for u in times if t <= u < t + 9.9) for t in times) <= 30


def test_mqtt_follows_a_race_through_a_broker_restart_with_a_rest_backfill(
    tmp_path: Path, race: dict[str, Any], batch: Path
) -> None:
    from openf1_replay import broker

    reason = broker.available()
    if reason is not None:
        pytest.skip(f"no MQTT broker: {reason}")
    server = Server(free_port(), tmp_path / "server.log")
    with broker.Mosquitto() as mosquitto:
        user, password = mosquitto.publisher
        publish = (
            *("--mqtt", f"{mosquitto.host}:{mosquitto.port}", "--mqtt-username", user, "--mqtt-password", password),
            *("--mqtt-passwd-file", str(mosquitto.passwd_file), "--mqtt-broker-pid", str(mosquitto.pid)),
        )
        server.start(race["pause_at"], PAUSED, *publish)

        def resume() -> None:  # the race goes on; mid-way the broker goes away and comes back
            server.stop()
            server.start(race["pause_at"], SPEED, *publish)
            time.sleep(4)
            mosquitto.restart(3)

        env = {
            "OPENF1_USERNAME": USER,
            "OPENF1_PASSWORD": PASSWORD,
            "OPENF1_MQTT_URL": f"mqtt://{mosquitto.host}:{mosquitto.port}",
        }
        try:
            warehouse, output, log = follow(tmp_path, race, server, "mqtt", env, resume)
        finally:
            server.stop()
    check_the_end(warehouse, batch, output, log, race["key"])
    pushed = [c for c in log[1:] if c["requests"] == 0 and c["new_records"] > 0]
    assert pushed, "records arrived over MQTT between backfills"
    assert output.count("MQTT connected: fetching what is new over REST") >= 2, "a backfill after the reconnect"
