"""The replay server's live clock (``--live``) and its MQTT side, over real HTTP and a real mosquitto.

The snapshot is the last meeting of the simulated sample (written once per module into a temporary folder,
telemetry of the race copied with its index so the whole-file fast path would apply). Every expectation is
computed here from those files and the virtual clock, never copied from the server's answers. Servers run at
x60..x1200 and start near the moment a test looks at, so the module takes about half a minute.
"""

from __future__ import annotations

import email.utils
import functools
import gzip
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from openf1_replay import broker
from openf1_replay.server import ReplayServer
from openf1_replay.server.live import LiveSettings
from tests.conftest import die_with_parent, stop_process

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1"
MEETING = 1564
RACE = 10323
QUALIFYING = 10322
USER, PASSWORD = "fan@example.com", "secret"
Record = dict[str, Any]


# ---------------------------------------------------------------------------------------------- helpers


def epoch(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if isinstance(text, str) else None


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's last meeting as a snapshot of its own (the race's telemetry as the simulator wrote it)."""
    folder = tmp_path_factory.mktemp("live") / "meeting"
    folder.mkdir()
    for path in SAMPLE.glob("*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as source, gzip.open(folder / path.name, "wt") as target:
            for line in source:
                if json.loads(line).get("meeting_key") == MEETING:
                    target.write(line)
    for endpoint in ("car_data", "location"):
        (folder / endpoint).mkdir()
        shutil.copy2(SAMPLE / endpoint / f"{RACE}.jsonl.gz", folder / endpoint)
        shutil.copy2(SAMPLE / endpoint / "_index.json", folder / endpoint)
    return folder


@functools.cache
def records(snapshot: Path, endpoint: str, session: int | None = RACE) -> list[Record]:
    """The snapshot's records of ``endpoint`` (of ``session``; None: all), cached: treat as read-only."""
    with gzip.open(snapshot / f"{endpoint}.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [r for r in rows if session is None or r.get("session_key") == session]


def race_start(snapshot: Path) -> float:
    """The race's first timing record (what the server calls SESSION STARTED)."""
    dates = [epoch(r["date"]) for r in records(snapshot, "position")]
    dates += [epoch(r["date_start"]) for r in records(snapshot, "laps") if r["date_start"]]
    return min(d for d in dates if d is not None)


def race_finish(snapshot: Path) -> float:
    """When the last car finished: the latest lap end (date_start + lap_duration)."""
    ends = [
        epoch(r["date_start"]) + r["lap_duration"]
        for r in records(snapshot, "laps")
        if r["date_start"] and r["lap_duration"]
    ]  # type: ignore[operator]
    return max(ends)


def get(server: ReplayServer, path: str, bearer: str | bool | None = None) -> tuple[int, Any, float]:
    """(status, parsed body, the Date header as epoch seconds); ``bearer`` True: with a fresh token."""
    if bearer is True:
        bearer = token(server)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    try:
        with urlopen(Request(f"{server.base_url}/{path}", headers=headers), timeout=30) as answer:
            return (
                answer.status,
                json.loads(answer.read()),
                email.utils.parsedate_to_datetime(answer.headers["Date"]).timestamp(),
            )
    except HTTPError as error:
        date = email.utils.parsedate_to_datetime(error.headers["Date"]).timestamp()
        return error.code, json.loads(error.read()), date


def token(server: ReplayServer) -> str:
    with urlopen(Request(f"{server.root_url}/token", data=f"username={USER}&password={PASSWORD}".encode())) as answer:
        return json.loads(answer.read())["access_token"]


def wait_virtual(server: ReplayServer, moment: float) -> None:
    """Sleep until the server's virtual clock reaches ``moment``."""
    live = server.live
    assert live is not None
    while (left := live.clock.real_seconds_until(moment)) > 0:
        time.sleep(min(left + 0.01, 1.0))


def serve(snapshot: Path, **settings: Any) -> ReplayServer:
    return ReplayServer(snapshot, rate_limit=None, credentials=(USER, PASSWORD), live=LiveSettings(**settings))


@pytest.fixture(scope="module")
def mid_race(snapshot: Path) -> Iterator[ReplayServer]:
    """40 minutes into the race, x60, tokens living 2 real seconds."""
    start = datetime.fromtimestamp(race_start(snapshot) + 40 * 60, UTC)
    with serve(snapshot, speed=60, start=start, token_seconds=2) as server:
        yield server


def visible_laps(snapshot: Path, now: float) -> dict[tuple[int, int], Record]:
    """Truth: the race's laps started by ``now`` (lap 1 at the race's start), by (driver, lap)."""
    start = race_start(snapshot)
    return {
        (r["driver_number"], r["lap_number"]): r
        for r in records(snapshot, "laps")
        if (epoch(r["date_start"]) or start) <= now
    }


# ---------------------------------------------------------------------------------------------- REST


def test_records_never_come_from_the_future(mid_race: ReplayServer, snapshot: Path) -> None:
    for endpoint, path in (
        ("intervals", f"intervals?session_key={RACE}"),
        ("position", f"position?session_key={RACE}"),
        ("race_control", f"race_control?session_key={RACE}"),
        ("pit", f"pit?session_key={RACE}"),
        ("weather", f"weather?session_key={RACE}"),
        ("car_data", f"car_data?session_key={RACE}"),  # one ordered file: the fast path must not answer
        ("location", f"location?session_key={RACE}&driver_number=4"),
    ):
        before = mid_race.live.now()  # type: ignore[union-attr]
        status, body, _ = get(mid_race, path, token(mid_race))  # tokens live 2 s here
        after = mid_race.live.now()  # type: ignore[union-attr]
        assert status == 200, (path, body)
        dates = [epoch(r["date"]) for r in body]
        assert max(d for d in dates if d is not None) <= after, f"{endpoint}: a record from after the virtual now"
        if endpoint in ("car_data", "location"):
            continue
        truth = [r for r in records(snapshot, endpoint) if (epoch(r["date"]) or 0) <= before]
        assert len(body) >= len(truth) > 0, f"{endpoint}: records dated before now are missing"
        later = [r for r in records(snapshot, endpoint) if (epoch(r["date"]) or 0) > after]
        assert later, f"{endpoint}: the truth has later records, so the test can tell"


def test_lap_rows_fill_in_as_sectors_complete(mid_race: ReplayServer, snapshot: Path) -> None:
    live = mid_race.live
    assert live is not None
    now = live.now()
    truth = visible_laps(snapshot, now)
    status, body, _ = get(mid_race, f"laps?session_key={RACE}", True)
    after = live.now()
    assert status == 200
    served = {(r["driver_number"], r["lap_number"]): r for r in body}
    assert set(truth) <= set(served) <= set(visible_laps(snapshot, after))
    for key, row in served.items():
        stored = next(r for r in records(snapshot, "laps") if (r["driver_number"], r["lap_number"]) == key)
        start = epoch(row["date_start"])
        if start is None:
            continue
        s1, s2 = stored["duration_sector_1"], stored["duration_sector_2"]
        if stored["lap_duration"] is not None and start + stored["lap_duration"] > after:
            assert row["lap_duration"] is None, f"lap {key} shows its time before it is complete"
        if s1 is not None and start + s1 > after:
            assert row["duration_sector_1"] is None, f"lap {key} shows sector 1 before it is complete"
        if None not in (s1, s2) and start + s1 + s2 > after:
            assert row["duration_sector_2"] is None
        if stored["lap_duration"] is not None and start + stored["lap_duration"] <= now:
            assert row == stored, f"a complete lap {key} is served as stored"
    # follow one car's lap in progress until it is complete: sectors appear one by one
    driver = body[-1]["driver_number"]
    running = max((r for r in body if r["driver_number"] == driver), key=lambda r: r["lap_number"])
    stored = next(
        r for r in records(snapshot, "laps") if (r["driver_number"], r["lap_number"]) == (driver, running["lap_number"])
    )
    seen = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        _, rows, _ = get(
            mid_race, f"laps?session_key={RACE}&driver_number={driver}&lap_number={running['lap_number']}", True
        )
        filled = tuple(
            rows[0][f] is not None
            for f in ("duration_sector_1", "duration_sector_2", "duration_sector_3", "lap_duration")
        )
        if not seen or seen[-1] != filled:
            seen.append(filled)
        if rows[0] == stored:
            break
        time.sleep(0.05)
    assert seen[-1] == (True, True, True, True), f"the lap never completed: {seen}"
    assert len(seen) >= 2 and seen[0] != seen[-1], f"the lap was complete from the start: {seen}"
    assert seen == sorted(seen), f"a duration went away again: {seen}"


def test_stints_are_clipped_to_the_laps_driven(mid_race: ReplayServer, snapshot: Path) -> None:
    live = mid_race.live
    assert live is not None
    before = visible_laps(snapshot, live.now())
    status, body, _ = get(mid_race, f"stints?session_key={RACE}", True)
    assert status == 200, body
    after = visible_laps(snapshot, live.now())

    def lap_end(stint: Record, laps: dict[tuple[int, int], Record]) -> int | None:
        """Truth: the stint's last lap started so far (None: not started)."""
        driven = [lap for driver, lap in laps if driver == stint["driver_number"]]
        driven = [lap for lap in driven if stint["lap_start"] <= lap <= stint["lap_end"]]
        return max(driven, default=None)

    stored = {(r["driver_number"], r["stint_number"]): r for r in records(snapshot, "stints")}
    served = {(r["driver_number"], r["stint_number"]): r for r in body}
    started = {key for key, stint in stored.items() if lap_end(stint, before) is not None}
    assert started <= set(served) <= {key for key, stint in stored.items() if lap_end(stint, after) is not None}
    clipped = 0
    for key, row in served.items():
        whole = stored[key]
        low, high = lap_end(whole, before) or row["lap_start"], lap_end(whole, after)
        assert {k: v for k, v in row.items() if k != "lap_end"} == {k: v for k, v in whole.items() if k != "lap_end"}
        assert high is not None and low <= row["lap_end"] <= high, f"stint {key}: lap_end beyond the laps driven"
        clipped += row["lap_end"] < whole["lap_end"]
    assert clipped >= 10, "open stints end at the car's current lap"
    assert len(served) < len(stored), "the truth has stints not started yet, so the test can tell"


def test_mid_session_status_results_auth_latest_and_date(mid_race: ReplayServer, snapshot: Path) -> None:
    live = mid_race.live
    assert live is not None
    status, body, date = get(mid_race, f"laps?session_key={RACE}")
    assert (status, body["detail"].startswith("Session in progress")) == (401, True), "no token while it runs: 401"
    status, _, _ = get(mid_race, "meetings")
    assert status == 401, "every endpoint, historical too"
    assert abs(date - live.now()) < 2 + live.settings.speed * 2, "the Date header carries the virtual now"
    assert abs(date - time.time()) > 86400, "not the machine's clock"
    assert get(mid_race, f"session_result?session_key={RACE}", True)[0] == 404, "no result before the finish"
    assert get(mid_race, f"session_result?session_key={QUALIFYING}", True)[0] == 200, "yesterday's is there"
    assert get(mid_race, f"starting_grid?session_key={QUALIFYING}", True)[0] == 200
    _, rows, _ = get(mid_race, "race_control?category=SessionStatus", True)
    messages = [(r["session_key"], r["message"]) for r in rows]
    assert (RACE, "SESSION STARTED") in messages and (RACE, "SESSION FINISHED") not in messages
    assert (QUALIFYING, "SESSION STARTED") in messages and (QUALIFYING, "SESSION FINISHED") not in messages[:1]
    assert all(r["flag"] is None and r["driver_number"] is None and r["scope"] is None for r in rows)
    started = next(r for r in rows if (r["session_key"], r["message"]) == (RACE, "SESSION STARTED"))
    assert epoch(started["date"]) == race_start(snapshot)
    _, latest, _ = get(mid_race, "sessions?session_key=latest", True)
    assert [s["session_key"] for s in latest] == [RACE]


def test_tokens_expire_and_a_new_one_works(mid_race: ReplayServer) -> None:
    bearer = token(mid_race)
    assert get(mid_race, f"weather?session_key={RACE}", bearer)[0] == 200
    time.sleep(2.2)  # --token-seconds 2, real seconds
    assert get(mid_race, f"weather?session_key={RACE}", bearer)[0] == 401, "an expired token is refused"
    assert get(mid_race, f"weather?session_key={RACE}", token(mid_race))[0] == 200


def test_latest_flips_session_runs_then_finishes(snapshot: Path) -> None:
    """From 70 minutes before the race to after it, x1200: latest flips 60 min ahead, 401 while it runs,
    SESSION FINISHED and the result when the last car is in, then open to everyone again."""
    start, finish = race_start(snapshot), race_finish(snapshot)
    race = next(s for s in records(snapshot, "sessions", None) if s["session_key"] == RACE)
    listed = epoch(race["date_start"])
    assert listed is not None
    with serve(snapshot, speed=1200, start=datetime.fromtimestamp(listed - 70 * 60, UTC)) as server:
        live = server.live
        assert live is not None
        _, before, _ = get(server, "sessions?session_key=latest")
        assert [s["session_key"] for s in before] == [QUALIFYING]
        assert get(server, f"laps?session_key={RACE}")[0] == 404, "nothing of the race yet, and no 401"
        wait_virtual(server, listed - 60 * 60 + 30)
        _, after, _ = get(server, "sessions?session_key=latest")
        assert [s["session_key"] for s in after] == [RACE]
        wait_virtual(server, start + 30)
        assert get(server, f"laps?session_key={RACE}")[0] == 401
        wait_virtual(server, finish + 30)
        status, rows, _ = get(server, f"race_control?session_key={RACE}&category=SessionStatus")
        assert status == 200, "open again once the session has finished"
        assert [r["message"] for r in rows] == ["SESSION STARTED", "SESSION FINISHED"]
        assert epoch(rows[1]["date"]) == finish
        status, results, _ = get(server, f"session_result?session_key={RACE}")
        assert status == 200 and len(results) == len(records(snapshot, "session_result"))


def test_reschedule_moves_the_listed_times_only(snapshot: Path) -> None:
    race = next(s for s in records(snapshot, "sessions", None) if s["session_key"] == RACE)
    meeting = records(snapshot, "meetings", None)[0]
    start = datetime.fromtimestamp(epoch(race["date_start"]) - 3 * 3600, UTC)  # type: ignore[operator]
    with serve(snapshot, speed=1, start=start, reschedule_minutes=45) as server:
        _, sessions, _ = get(server, "sessions")
        moved = {s["session_key"]: s for s in sessions}
        shift = timedelta(minutes=45)
        assert epoch(moved[RACE]["date_start"]) == epoch(race["date_start"]) + shift.total_seconds()  # type: ignore[operator]
        assert epoch(moved[RACE]["date_end"]) == epoch(race["date_end"]) + shift.total_seconds()  # type: ignore[operator]
        assert moved[QUALIFYING] == next(
            s for s in records(snapshot, "sessions", None) if s["session_key"] == QUALIFYING
        )
        _, meetings, _ = get(server, "meetings")
        assert meetings[0]["date_start"] == meeting["date_start"], "the meeting started with FP1, not the race"
        assert epoch(meetings[0]["date_end"]) == epoch(meeting["date_end"]) + shift.total_seconds()  # type: ignore[operator]
        status, rows, _ = get(server, f"sessions?session_key={RACE}&date_start>={iso(epoch(race['date_start']) + 60)}")  # type: ignore[operator]
        assert status == 200 and rows == [moved[RACE]], "filters see the moved schedule"
        live = server.live
        assert live is not None and live.sessions[RACE].started == race_start(snapshot), "the data keep their times"


def _start_cli(snapshot: Path, *extra: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    command = [sys.executable, "-m", "openf1_replay.server", "--snapshot", str(snapshot), "--port", "0", "--quiet"]
    command += ["--rate-limit", "0", "--username", USER, "--password", PASSWORD, "--live", *extra]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
    assert process.stdout is not None
    lines = [process.stdout.readline(), process.stdout.readline()]
    assert lines[0].startswith("serving "), lines
    return process, lines[0].split(" at ")[-1].strip(), lines


def _date(base_url: str) -> float:
    with urlopen(f"{base_url}/sessions?session_key={RACE}") as answer:
        return email.utils.parsedate_to_datetime(answer.headers["Date"]).timestamp()


def test_restart_with_the_same_origin_continues_the_clock(snapshot: Path) -> None:
    start = iso(race_start(snapshot) - 3 * 3600)  # before the session: no token needed to read the Date
    first, url, lines = _start_cli(snapshot, "--speed", "100", "--start", start)
    try:
        assert lines[1].startswith(f"live: following session {RACE}"), lines
        origin = lines[1].split("--clock-origin ")[1].split()[0]
        assert lines[1].split("--start ")[1].split()[0] == datetime.fromisoformat(start).isoformat()
        seen = _date(url)
    finally:
        stop_process(first)
    time.sleep(1.0)
    second, url, _ = _start_cli(snapshot, "--speed", "100", "--start", start, "--clock-origin", origin)
    try:
        continued = _date(url)
    finally:
        stop_process(second)
    expected = epoch(start) + (time.time() - float(origin)) * 100  # type: ignore[operator]
    assert continued > seen + 100, "the clock went on while the server was down"
    assert abs(continued - expected) < 400, "the same clock, not a new one"


# ---------------------------------------------------------------------------------------------- MQTT


@pytest.fixture(scope="module")
def mosquitto() -> Iterator[broker.Mosquitto]:
    reason = broker.ensure_installed()
    if reason is not None:
        pytest.skip(f"no MQTT broker: {reason}")
    with broker.Mosquitto(preexec_fn=die_with_parent) as running:
        yield running


class Subscriber:
    """A paho client collecting every message of v1/# (connects with the given password)."""

    def __init__(self, host: str, port: int, password: str, transport: str = "tcp") -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, Record]] = []
        self.refused: object = None
        self.ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, transport=transport)  # type: ignore[arg-type]
        if transport == "websockets":
            self.client.ws_set_options(path="/mqtt")
        self.client.username_pw_set(USER, password)
        self.client.on_connect = self._connected
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, json.loads(m.payload)))
        self.client.on_subscribe = lambda *args: self.ready.set()
        self.client.connect(host, port)
        self.client.loop_start()

    def _connected(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self.refused = reason
            self.ready.set()
            client.disconnect()
            return
        client.subscribe("v1/#", qos=0)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_mqtt_publishes_versions_in_order_to_token_holders(mosquitto: broker.Mosquitto, snapshot: Path) -> None:
    start = datetime.fromtimestamp(race_start(snapshot) + 20 * 60, UTC)
    settings: dict[str, Any] = dict(speed=60, start=start, mqtt=f"{mosquitto.host}:{mosquitto.port}")
    settings.update(mqtt_username=mosquitto.publisher[0], mqtt_password=mosquitto.publisher[1])
    settings.update(mqtt_passwd_file=mosquitto.passwd_file, mqtt_broker_pid=mosquitto.pid)
    with serve(snapshot, **settings) as server:
        refused = Subscriber(mosquitto.host, mosquitto.port, "not-a-token")
        bearer = token(server)  # written into mosquitto's password file: the token is the MQTT password
        tcp = Subscriber(mosquitto.host, mosquitto.port, bearer)
        web = Subscriber(mosquitto.host, mosquitto.ws_port, bearer, transport="websockets")
        try:
            assert tcp.ready.wait(10) and web.ready.wait(10) and refused.ready.wait(10)
            assert refused.refused is not None and tcp.refused is None, "a bad password is refused"

            def laps() -> list[Record]:
                return [m for t, m in tcp.messages if t == "v1/laps"]

            def complete() -> bool:
                """A lap seen both unfinished and finished (same _key)."""
                open_keys = {m["_key"] for m in laps() if m["lap_duration"] is None}
                return any(m["lap_duration"] is not None and m["_key"] in open_keys for m in laps())

            assert until(complete, 15), "a lap published when it starts and again when complete"
            assert web.messages, "websockets subscribers get the stream too"
        finally:
            for client in (tcp, web, refused):
                client.close()
        assert not refused.messages
        ids = [m["_id"] for _, m in tcp.messages]
        assert ids == sorted(ids) and len(set(ids)) == len(ids), "_id strictly increasing"
        assert abs(ids[0] - time.time() * 1000) < 60_000, "_id is the publish time in epoch ms"
        topics = {t for t, _ in tcp.messages}
        assert {"v1/laps", "v1/intervals"} <= topics  # position rows are change events: maybe none yet
        now = server.live.now()  # type: ignore[union-attr]
        for topic, message in tcp.messages:
            record = {k: v for k, v in message.items() if not k.startswith("_")}
            if topic == "v1/laps":
                assert message["_key"] == f"{RACE}_{record['lap_number']}_{record['driver_number']}"
            if topic in ("v1/intervals", "v1/position"):
                moment = epoch(record["date"])
                assert moment is not None and moment > start.timestamp() - 1 and moment <= now
                assert message["_key"] == f"{round(moment * 1000)}_{record['driver_number']}"
        versions: dict[str, list[Record]] = {}
        for message in laps():
            versions.setdefault(message["_key"], []).append(message)
        stored = {f"{RACE}_{r['lap_number']}_{r['driver_number']}": r for r in records(snapshot, "laps")}
        for key, sent in versions.items():
            filled = [sum(v is not None for v in m.values()) for m in sent]
            assert filled == sorted(filled), f"lap {key}: later versions only add values"
            if sent[-1]["lap_duration"] is not None:
                last = {k: v for k, v in sent[-1].items() if not k.startswith("_")}
                assert last == stored[key], f"lap {key}: the last version is the stored record"


def test_mqtt_publisher_keeps_the_clock_through_a_broker_restart(mosquitto: broker.Mosquitto, snapshot: Path) -> None:
    start = datetime.fromtimestamp(race_start(snapshot) + 30 * 60, UTC)
    settings: dict[str, Any] = dict(speed=60, start=start, mqtt=f"{mosquitto.host}:{mosquitto.port}")
    settings.update(mqtt_username=mosquitto.publisher[0], mqtt_password=mosquitto.publisher[1])
    settings.update(mqtt_passwd_file=mosquitto.passwd_file, mqtt_broker_pid=mosquitto.pid)
    with serve(snapshot, **settings) as server:
        publisher, live = server.publisher, server.live
        assert publisher is not None and live is not None
        subscriber = Subscriber(mosquitto.host, mosquitto.port, token(server))
        try:
            assert subscriber.ready.wait(10) and until(lambda: len(subscriber.messages) > 20, 10)
            down = live.now()
            mosquitto.restart(down_s=1.5)
            back = live.now()
            count = len(subscriber.messages)
            assert until(lambda: len(subscriber.messages) > count + 20, 15), "publisher and subscriber reconnect"
        finally:
            subscriber.close()
        assert publisher.lost > 0, "what became visible while the broker was down is lost (QoS 0)"
        after = [m for _, m in subscriber.messages[count:] if "date" in m]
        assert after and min(epoch(m["date"]) or 0 for m in after) > down + 60, "no backlog: the clock went on"
        assert back - down > 60, "the virtual clock kept running meanwhile"
        ids = [m["_id"] for _, m in subscriber.messages]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
