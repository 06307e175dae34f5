"""The live clock: a snapshot served as if one of its sessions were running now.

Virtual now = ``start + (time.time() - clock_origin) * speed``. Every record gets the virtual time it becomes
visible (``visible_from``) and, when a newer version replaces it, the time it stops being the answer
(``visible_until``). Those versions are computed once, at start, into one table per endpoint in an in-memory
database attached to the store's (``live_mem.<endpoint>``: the store's columns plus ``row_no``,
``visible_from``/``visible_until`` as epoch seconds and ``key``, OpenF1's ``_key``); a request then only adds
``visible_from <= now < visible_until`` to its WHERE.

When a record becomes visible:
* dated records (position, intervals, pit, race_control, weather, team_radio, overtakes, car_data, location):
  at their ``date`` (telemetry is filtered on its ``date`` column as read on demand);
* laps: when the lap starts, with every duration null; each sector's duration (its speed trap and segments)
  when the sector is complete (``date_start`` + s1 [+ s2 [+ s3]]), ``lap_duration``/``st_speed`` when the lap
  is. A lap without ``date_start`` (lap 1, an out-lap) starts at the end of the driver's previous lap, or, for
  lap 1, at the session's start in a race and at its end minus its known sector times elsewhere; its sectors
  are timed back from its end (the next lap's ``date_start``). A value whose time cannot be known waits for
  the session's finish;
* stints: when their first lap starts (or the driver's next lap), ``lap_end`` growing with the driver's laps;
* session_result, starting_grid, championship_drivers/teams: when their session has finished;
* drivers: 60 min before their session's (served) ``date_start`` or its start, whichever is first;
* meetings and sessions: always (schedule data; the followed session moved by ``reschedule_minutes``).

A session starts at its first timing record (laps ``date_start``, position, intervals; without any: its
scheduled start) and finishes when its last car has finished (the latest lap end; without laps: its last
position/intervals record, else its scheduled end). The server adds race_control rows ``SessionStatus``
"SESSION STARTED" / "SESSION FINISHED" at those moments for every session.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from openf1_replay import snapshot
from openf1_replay.server.store import SnapshotStore, _typed_expression

INF = math.inf
LIVE_DB = "live_mem"  # the in-memory database (attached to the store's) holding the live tables
LEAD_MINUTES = 2.0  # default start: this many virtual minutes before the followed session's first record
LATEST_AHEAD_S = 3600.0  # session_key=latest: the latest session starting no later than now + 60 min
DRIVERS_AHEAD_S = 3600.0  # drivers appear when their session can become `latest`
DATED_ENDPOINTS = ("position", "intervals", "pit", "race_control", "weather", "team_radio", "overtakes")
SCHEDULE_ENDPOINTS = ("meetings", "sessions")
# OpenF1's `_key`: the natural key joined by "_" (datetimes as epoch ms), per endpoint
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "laps": ("session_key", "lap_number", "driver_number"),
    "position": ("date", "driver_number"),
    "intervals": ("date", "driver_number"),
    "car_data": ("date", "driver_number"),
    "location": ("date", "driver_number"),
    "race_control": ("date", "driver_number", "lap_number", "category", "flag", "scope", "sector"),
    "pit": ("date", "driver_number"),
    "weather": ("date",),
    "stints": ("session_key", "driver_number", "stint_number"),
    "session_result": ("session_key", "driver_number"),
    "starting_grid": ("session_key", "driver_number"),
    "drivers": ("session_key", "driver_number"),
    "team_radio": ("date", "driver_number"),
    "overtakes": ("date", "overtaking_driver_number", "overtaken_driver_number"),
    "championship_drivers": ("session_key", "driver_number"),
    "championship_teams": ("session_key", "team_name"),
    "meetings": ("meeting_key",),
    "sessions": ("session_key",),
}
_DATE_FIELDS = ("date", "date_start", "date_end")
_SECTOR_FIELDS = {1: ("duration_sector_1", "i1_speed", "segments_sector_1"), 2: ("duration_sector_2", "i2_speed")}
_SECTOR_FIELDS[2] += ("segments_sector_2",)
_LAP_END_FIELDS = ("duration_sector_3", "segments_sector_3", "lap_duration", "st_speed")


class LiveError(ValueError):
    """Live settings that cannot apply to this snapshot; the message names the fix."""


@dataclass(frozen=True)
class LiveSettings:
    """How the live clock runs. ``start`` None: 2 virtual minutes before the followed session's first record;
    ``clock_origin`` None: the server's start (epoch s); ``session`` None: the snapshot's last Race session."""

    speed: float = 20.0
    start: datetime | None = None
    session: int | None = None
    token_seconds: float = 3600.0
    reschedule_minutes: float = 0.0
    clock_origin: float | None = None
    mqtt: str | None = None  # "HOST:PORT" of a broker to publish to
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_passwd_file: Path | None = None  # mosquitto's password file: every issued token is added to it
    mqtt_broker_pid: int | None = None  # ... and the broker HUPed to re-read it


def parse_time(text: str) -> datetime:
    """An ISO datetime (naive = UTC) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _epoch(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return parse_time(text).timestamp()
    except ValueError:
        return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def record_key(endpoint: str, record: dict[str, Any]) -> str:
    """OpenF1's ``_key``: the natural key's values joined by "_", datetimes as epoch ms, null as None."""
    parts = []
    for name in KEY_FIELDS.get(endpoint, ()):
        value = record.get(name)
        moment = _epoch(value) if name in _DATE_FIELDS else None
        parts.append(str(round(moment * 1000)) if moment is not None else str(value))
    return "_".join(parts)


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(", ", ": "), ensure_ascii=False)


class VirtualClock:
    def __init__(self, start: datetime, origin: float, speed: float) -> None:
        if speed <= 0:
            raise LiveError(f"speed {speed} must be above 0; pass e.g. --speed 20")
        self.start, self.origin, self.speed = start.timestamp(), origin, speed

    def now(self) -> float:
        """Virtual now, epoch seconds."""
        return self.start + (time.time() - self.origin) * self.speed

    def real_seconds_until(self, virtual: float) -> float:
        return (virtual - self.now()) / self.speed


@dataclass
class SessionTimes:
    session_key: int
    meeting_key: int | None
    session_type: str | None
    listed_start: float | None  # as served in /sessions (after any reschedule)
    started: float | None = None
    finished: float | None = None
    last_lap: int | None = None


@dataclass
class Version:
    """One version of one record: its text, the time it appears and the time a newer one replaces it."""

    text: str
    visible_from: float
    visible_until: float = INF


@dataclass
class _Row:
    file_no: int
    row_no: int
    key: str
    versions: list[Version] = field(default_factory=list)


class LiveView:
    """The live tables over a store, the clock, the followed session and who may read what when."""

    def __init__(self, store: SnapshotStore, settings: LiveSettings) -> None:
        self.store, self.settings = store, settings
        self._texts: dict[tuple[str, int], str] = {}
        if "sessions" not in store.typed_columns:
            raise LiveError(f"{store.root}: no sessions file; the live clock follows a session of the snapshot")
        self.sessions = self._session_times()
        self.followed = self._followed()
        self._laps: dict[tuple[int, int], list[tuple[int, float]]] = {}  # (session, driver) -> [(lap, start)]
        self._pending_laps: list[tuple[_Row, dict[str, Any], dict[str, float | None]]] = []
        lap_rows = self._lap_rows() if store.has("laps") else []
        self._finish_sessions()
        followed = self.sessions[self.followed]
        if followed.started is None:
            raise LiveError(f"session {self.followed} has no start time; pass --session with a session that ran")
        start = settings.start or datetime.fromtimestamp(followed.started - LEAD_MINUTES * 60, UTC)
        if settings.speed <= 0:
            raise LiveError(f"speed {settings.speed} must be above 0; pass e.g. --speed 20")
        # a session finished before the clock starts never shows a half-filled lap: one version per record
        self._history_until = start.timestamp()
        self._latest = sorted((s.listed_start, s.session_key) for s in self.sessions.values() if s.listed_start)
        self._build_tables(lap_rows)
        origin = settings.clock_origin if settings.clock_origin is not None else time.time()
        self.clock = VirtualClock(start, origin, settings.speed)

    # ------------------------------------------------------------------------------------------ sessions

    def _records(self, endpoint: str) -> list[tuple[dict[str, Any], int, int]]:
        """The endpoint's records (files read at start-up) with file_no and row number; their stored texts
        are kept in ``self._texts`` by (endpoint, row number)."""
        cursor = self.store._cursor()
        try:
            rows = cursor.execute(f'SELECT rec, file_no, rowid FROM "{endpoint}" ORDER BY rowid').fetchall()
        finally:
            cursor.close()
        for text, _, row_no in rows:
            self._texts[(endpoint, row_no)] = text
        return [(json.loads(text), file_no, row_no) for text, file_no, row_no in rows]

    def _session_times(self) -> dict[int, SessionTimes]:
        shift = self.settings.reschedule_minutes * 60
        times: dict[int, SessionTimes] = {}
        self._session_records = self._records("sessions")
        for record, _, _ in self._session_records:
            key = record.get("session_key")
            if not isinstance(key, int) or record.get("is_cancelled") is True:
                continue
            start = _epoch(record.get("date_start"))
            meeting = record.get("meeting_key")
            times[key] = SessionTimes(
                key, meeting if isinstance(meeting, int) else None, record.get("session_type"), start
            )
            times[key].finished = _epoch(record.get("date_end"))  # the schedule, until data says otherwise
        self._scheduled = {k: (s.listed_start, s.finished) for k, s in times.items()}
        self._shift = shift
        return times

    def _followed(self) -> int:
        wanted = self.settings.session
        if wanted is not None:
            if wanted not in self.sessions:
                raise LiveError(f"session {wanted} is not in {self.store.root}/sessions; pass one of its keys")
            return wanted
        races = [s for s in self.sessions.values() if s.session_type == "Race" and s.listed_start is not None]
        if not races:
            raise LiveError(f"{self.store.root} has no Race session; pass --session KEY")
        return max(races, key=lambda s: (s.listed_start or 0, s.session_key)).session_key

    def _first_records(self) -> dict[int, float]:
        """Per session, its first timing record (laps date_start, position, intervals)."""
        parts = []
        for endpoint, column in (("laps", "date_start"), ("position", "date"), ("intervals", "date")):
            columns = self.store.typed_columns.get(endpoint, {})
            if column in columns and "session_key" in columns:
                parts.append(
                    f'SELECT "session_key" AS s, "{column}" AS d FROM "{endpoint}" '
                    f'WHERE isfinite("{column}") AND "session_key" IS NOT NULL'
                )
        return self._aggregate(parts, "min")

    def _last_records(self) -> dict[int, float]:
        parts = []
        for endpoint in ("position", "intervals"):
            columns = self.store.typed_columns.get(endpoint, {})
            if "date" in columns and "session_key" in columns:
                parts.append(
                    f'SELECT "session_key" AS s, "date" AS d FROM "{endpoint}" '
                    f'WHERE isfinite("date") AND "session_key" IS NOT NULL'
                )
        return self._aggregate(parts, "max")

    def _aggregate(self, parts: list[str], how: str) -> dict[int, float]:
        if not parts:
            return {}
        cursor = self.store._cursor()
        try:
            rows = cursor.execute(
                f"SELECT s, epoch_us({how}(d)) FROM ({' UNION ALL '.join(parts)}) GROUP BY s"
            ).fetchall()
        finally:
            cursor.close()
        return {int(s): us / 1e6 for s, us in rows}

    # ------------------------------------------------------------------------------------------ laps

    def _lap_rows(self) -> list[tuple[str, _Row]]:
        """Every lap's versions. Needs session starts first, so it sets them too."""
        first = self._first_records()
        for key, session in self.sessions.items():
            session.started = first.get(key, session.listed_start)
        by_driver: dict[tuple[int, int], list[tuple[dict[str, Any], int, int]]] = {}
        loose: list[tuple[dict[str, Any], int, int]] = []
        for record, file_no, row_no in self._records("laps"):
            session, driver, lap = record.get("session_key"), record.get("driver_number"), record.get("lap_number")
            if isinstance(session, int) and isinstance(driver, int) and isinstance(lap, int):
                by_driver.setdefault((session, driver), []).append((record, file_no, row_no))
            else:
                loose.append((record, file_no, row_no))
        rows: list[tuple[str, _Row]] = []
        for (session_key, driver), laps in by_driver.items():
            laps.sort(key=lambda item: item[0]["lap_number"])
            session = self.sessions.get(session_key)
            previous_end: float | None = None
            previous_lap = 0
            for index, (record, file_no, row_no) in enumerate(laps):
                following = laps[index + 1][0] if index + 1 < len(laps) else None
                times = _lap_times(
                    record, following, previous_end if previous_lap == record["lap_number"] - 1 else None
                )
                if times["start"] is None and session is not None and session.started is not None:
                    if record["lap_number"] == 1 and session.session_type == "Race":
                        times["start"] = session.started
                    elif times["back_start"] is not None:
                        times["start"] = max(session.started, times["back_start"])
                    else:
                        times["start"] = session.started
                previous_end, previous_lap = times["end"], record["lap_number"]
                row = _Row(file_no, row_no, record_key("laps", record))
                rows.append(("laps", row))
                self._pending_laps.append((row, record, times))
                if times["start"] is not None:
                    self._laps.setdefault((session_key, driver), []).append((record["lap_number"], times["start"]))
        for record, file_no, row_no in loose:  # keyless laps: whole, at their start or their session's finish
            row = _Row(file_no, row_no, record_key("laps", record))
            rows.append(("laps", row))
            self._pending_laps.append((row, record, {"start": _epoch(record.get("date_start")), "end": None}))
        return rows

    def _finish_sessions(self) -> None:
        last_records = self._last_records()
        lap_ends: dict[int, float] = {}
        last_lap: dict[int, int] = {}
        for _, record, times in self._pending_laps:
            session = record.get("session_key")
            end = times.get("end")
            if isinstance(session, int) and end is not None:
                lap_ends[session] = max(lap_ends.get(session, end), end)
            if isinstance(session, int) and isinstance(record.get("lap_number"), int):
                last_lap[session] = max(last_lap.get(session, 0), record["lap_number"])
        first = self._first_records()
        for key, session in self.sessions.items():
            if session.started is None:
                session.started = first.get(key, session.listed_start)
            finish = lap_ends.get(key, last_records.get(key, session.finished))
            if finish is not None and session.started is not None:
                finish = max(finish, session.started)
            session.finished = finish
            session.last_lap = last_lap.get(key)
        # the listed schedule of the followed session moves now that the data's times are known
        followed = self.sessions.get(self.followed)
        if followed is not None and followed.listed_start is not None:
            followed.listed_start += self._shift

    def _lap_versions(self) -> None:
        for row, record, times in self._pending_laps:
            session = self.sessions.get(record.get("session_key"))  # type: ignore[arg-type]
            fallback = session.finished if session is not None and session.finished is not None else INF
            start = times.get("start")
            start = start if start is not None else fallback
            if fallback <= self._history_until:
                row.versions = [Version(self._texts.get(("laps", row.row_no), _dump(record)), start)]
                continue
            reveal: dict[str, float] = {}
            for name, value in record.items():
                moment = times.get(name)
                if name in _LAP_FIELD_TIMES and value is not None:
                    reveal[name] = max(start, moment if moment is not None else fallback)
            moments = sorted({start, *reveal.values()})
            versions = []
            for moment in moments:
                version = {
                    name: (value if reveal.get(name, start) <= moment else None) for name, value in record.items()
                }
                versions.append(Version(_dump(version), moment))
            if versions and (row.row_no >= 0):
                versions[-1].text = self._texts.get(("laps", row.row_no), versions[-1].text)  # as stored
            row.versions = _chain(versions)

    # ------------------------------------------------------------------------------------------ stints

    def _stint_rows(self) -> list[tuple[str, _Row]]:
        rows = []
        for record, file_no, row_no in self._records("stints"):
            row = _Row(file_no, row_no, record_key("stints", record))
            rows.append(("stints", row))
            session_key, driver = record.get("session_key"), record.get("driver_number")
            session = self.sessions.get(session_key) if isinstance(session_key, int) else None
            finish = session.finished if session is not None and session.finished is not None else INF
            started = self._laps.get((session_key, driver), []) if isinstance(driver, int) else []  # type: ignore[arg-type]
            lap_start, lap_end = record.get("lap_start"), record.get("lap_end")
            if (
                finish <= self._history_until
                or not started
                or not isinstance(lap_start, int)
                or not isinstance(lap_end, int)
            ):
                row.versions = [Version(self._texts.get(("stints", row_no), _dump(record)), finish)]
                continue
            versions: list[Version] = []
            for lap, moment in started:
                if lap < lap_start or lap > lap_end or moment >= finish:
                    continue
                if lap == lap_end:
                    break
                versions.append(Version(_dump({**record, "lap_end": lap}), moment))
            last_start = next((m for lap, m in started if lap == lap_end), None)
            whole = self._texts.get(("stints", row_no), _dump(record))
            versions.append(Version(whole, min(last_start if last_start is not None else finish, finish)))
            row.versions = _chain(sorted(versions, key=lambda v: v.visible_from))
        return rows

    # ------------------------------------------------------------------------------------------ other rows

    def _schedule_rows(self, endpoint: str) -> list[tuple[str, _Row]]:
        """Meetings and sessions, always visible; the followed session (and its meeting's matching dates) moved."""
        followed = self._scheduled.get(self.followed, (None, None))
        meeting = self.sessions[self.followed].meeting_key
        records = self._session_records if endpoint == "sessions" else self._records(endpoint)
        rows = []
        for record, file_no, row_no in records:
            original = record
            if self._shift:
                moves = (endpoint == "sessions" and record.get("session_key") == self.followed) or (
                    endpoint == "meetings" and record.get("meeting_key") == meeting
                )
                if moves:
                    record = dict(record)
                    for name in ("date_start", "date_end"):
                        moment = _epoch(record.get(name))
                        if moment is not None and (endpoint == "sessions" or moment in followed):
                            record[name] = _iso(moment + self._shift)
            text = _dump(record) if record is not original else self._texts[(endpoint, row_no)]
            row = _Row(file_no, row_no, record_key(endpoint, record), [Version(text, -INF)])
            rows.append((endpoint, row))
        return rows

    def _status_rows(self) -> list[tuple[str, _Row]]:
        """Synthesised race_control SessionStatus rows for every session that ran."""
        fields = ["meeting_key", "session_key", "date", "driver_number", "lap_number", "category", "flag"]
        fields += ["scope", "sector", "message"]
        rows = []
        for number, session in enumerate(sorted(self.sessions.values(), key=lambda s: s.session_key)):
            race = session.session_type == "Race"
            for phase, moment, lap in (
                ("STARTED", session.started, 1 if race else None),
                ("FINISHED", session.finished, session.last_lap if race else None),
            ):
                if moment is None:
                    continue
                record = dict.fromkeys(fields)
                record.update(meeting_key=session.meeting_key, session_key=session.session_key, date=_iso(moment))
                record.update(lap_number=lap, category="SessionStatus", message=f"SESSION {phase}")
                row = _Row(-1, 2 * number + (phase == "FINISHED"), record_key("race_control", record))
                row.versions = [Version(_dump(record), moment)]
                rows.append(("race_control", row))
        return rows

    # ------------------------------------------------------------------------------------------ tables

    def _execute(self, sql: str, frames: dict[str, pd.DataFrame] | None = None) -> None:
        """One statement on a cursor of its own (``frames`` registered as views for it)."""
        cursor = self.store._cursor()
        try:
            for name, frame in (frames or {}).items():
                cursor.register(name, frame)
            cursor.execute(sql)
            for name in frames or {}:
                cursor.unregister(name)
        finally:
            cursor.close()

    def _build_tables(self, lap_rows: list[tuple[str, _Row]]) -> None:
        self._lap_versions()
        python_rows: dict[str, list[_Row]] = {}
        for endpoint, row in [*lap_rows, *self._status_rows()]:
            python_rows.setdefault(endpoint, []).append(row)
        if self.store.has("stints"):
            python_rows["stints"] = [row for _, row in self._stint_rows()]
        for endpoint in SCHEDULE_ENDPOINTS:
            if self.store.has(endpoint):
                python_rows[endpoint] = [row for _, row in self._schedule_rows(endpoint)]
        times = pd.DataFrame(
            [
                (
                    float(s.session_key),
                    s.started if s.started is not None else INF,
                    s.finished if s.finished is not None else INF,
                    min(x for x in (s.started, s.listed_start) if x is not None) - DRIVERS_AHEAD_S
                    if s.started is not None or s.listed_start is not None
                    else INF,
                )
                for s in self.sessions.values()
            ],
            columns=["session_key", "started", "finished", "listed"],
        )
        self._execute(f"ATTACH IF NOT EXISTS ':memory:' AS {LIVE_DB}")
        self._execute(f"CREATE OR REPLACE TABLE {LIVE_DB}.times AS SELECT * FROM times_df", {"times_df": times})
        sources: dict[str, str] = {}
        for endpoint in self.store.typed_columns:
            if endpoint in snapshot.TELEMETRY_ENDPOINTS:
                continue
            table = f'{LIVE_DB}."{endpoint}"'
            if endpoint in python_rows and endpoint != "race_control":
                self._python_table(endpoint, table, python_rows[endpoint])
            else:
                self._sql_table(endpoint, table)
                if endpoint in python_rows:  # race_control: the stored rows, then the SessionStatus rows
                    self._python_table(endpoint, table, python_rows[endpoint], append=True)
            sources[endpoint] = table
        self.store.live_sources = sources
        self._timeline()

    def _typed_select(self, endpoint: str) -> tuple[str, str]:
        columns = self.store.typed_columns[endpoint]
        paths = ", ".join(f"'$.{name}'" for name in columns)
        typed = "".join(
            f', {_typed_expression(i, kind)} AS "{name}"' for i, (name, kind) in enumerate(columns.items(), 1)
        )
        extracted = f", json_extract(rec, [{paths}]) AS v" if columns else ""
        return typed, extracted

    def _python_table(self, endpoint: str, table: str, rows: list[_Row], append: bool = False) -> None:
        frame = pd.DataFrame(
            [
                (version.text, row.file_no, row.row_no, version.visible_from, version.visible_until, row.key)
                for row in rows
                for version in row.versions
            ],
            columns=["rec", "file_no", "row_no", "visible_from", "visible_until", "key"],
        ).astype({"rec": "object", "key": "object", "file_no": "int64", "row_no": "int64"})
        typed, extracted = self._typed_select(endpoint)
        select = (
            f"SELECT rec, CAST(file_no AS INTEGER) AS file_no{typed}, row_no, visible_from, visible_until, key "
            f"FROM (SELECT *{extracted} FROM live_rows_df) ORDER BY file_no, row_no, visible_from"
        )
        verb = f"INSERT INTO {table}" if append else f"CREATE OR REPLACE TABLE {table} AS"
        self._execute(f"{verb} {select}", {"live_rows_df": frame})

    def _sql_table(self, endpoint: str, table: str) -> None:
        columns = self.store.typed_columns[endpoint]
        typed = "".join(f', e."{name}"' for name in columns)
        has_session = "session_key" in columns
        if endpoint in DATED_ENDPOINTS and "date" in columns:
            fallback = "t.finished" if has_session else "'infinity'::DOUBLE"
            visible = f'CASE WHEN isfinite(e."date") THEN epoch_us(e."date") / 1e6 ELSE {fallback} END'
        elif endpoint == "drivers" and has_session:
            visible = "coalesce(t.listed, 'infinity'::DOUBLE)"
        elif has_session:  # results and anything else tied to a session: when it has finished
            visible = "coalesce(t.finished, 'infinity'::DOUBLE)"
        else:
            visible = "'-infinity'::DOUBLE"
        join = f'LEFT JOIN {LIVE_DB}.times t ON t.session_key = e."session_key"' if has_session else ""
        names = KEY_FIELDS.get(endpoint, ())
        key_parts = []
        for name in names:
            text = f"json_extract_string(e.rec, '$.{name}')"
            if name in _DATE_FIELDS:
                text = f"coalesce(CAST(epoch_ms(TRY_CAST({text} AS TIMESTAMPTZ)) AS VARCHAR), {text})"
            key_parts.append(f"coalesce({text}, 'None')")
        key = " || '_' || ".join(key_parts) if key_parts else "''"
        self._execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT e.rec, e.file_no{typed}, "
            f"e.rowid AS row_no, CAST({visible} AS DOUBLE) AS visible_from, "
            f"'infinity'::DOUBLE AS visible_until, {key} AS key FROM \"{endpoint}\" e {join} ORDER BY e.rowid"
        )

    def _timeline(self) -> None:
        """Every version of every record, in visible order: what the MQTT publisher sends."""
        parts = [
            f"SELECT '{endpoint}' AS endpoint, key, rec, visible_from, file_no, row_no FROM {table} "
            f"WHERE isfinite(visible_from)"
            for endpoint, table in self.store.live_sources.items()
            if endpoint not in SCHEDULE_ENDPOINTS
        ]
        self._execute(
            f"CREATE OR REPLACE TABLE {LIVE_DB}.timeline AS "
            f"{' UNION ALL '.join(parts)} ORDER BY visible_from, endpoint, file_no, row_no"
        )

    # ------------------------------------------------------------------------------------------ requests

    def now(self) -> float:
        return self.clock.now()

    def in_progress(self, now: float | None = None) -> bool:
        """Whether the followed session runs (between SESSION STARTED and SESSION FINISHED)."""
        now = self.now() if now is None else now
        session = self.sessions[self.followed]
        return session.started is not None and session.started <= now < (session.finished or INF)

    def latest(self, now: float | None = None) -> dict[str, int | None]:
        """session_key/meeting_key=latest: the session with the greatest date_start <= now + 60 min."""
        now = self.now() if now is None else now
        index = bisect_right(self._latest, (now + LATEST_AHEAD_S, INF))
        if index == 0:
            return {"session_key": None, "meeting_key": None}
        session = self._latest[index - 1][1]
        return {"session_key": session, "meeting_key": self.sessions[session].meeting_key}

    def visibility(self, endpoint: str, now: float) -> tuple[str, list[object]]:
        """The WHERE clause (and its parameters) keeping what is visible at ``now``."""
        if endpoint in self.store.live_sources:
            return "(visible_from <= ? AND ? < visible_until)", [now, now]
        if "date" in self.store.typed_columns.get(endpoint, {}):
            return '(isfinite("date") AND "date" <= ?)', [datetime.fromtimestamp(now, UTC)]
        return "true", []

    def published(self, after: float, until: float) -> list[tuple[str, str, str, float]]:
        """(endpoint, key, text, visible_from) of the versions appearing in (after, until], in order."""
        cursor = self.store._cursor()
        try:
            return cursor.execute(
                f"SELECT endpoint, key, rec, visible_from FROM {LIVE_DB}.timeline "
                "WHERE visible_from > ? AND visible_from <= ? ORDER BY visible_from, endpoint, file_no, row_no",
                [after, until],
            ).fetchall()
        finally:
            cursor.close()

    def describe(self) -> str:
        session = self.sessions[self.followed]
        return (
            f"following session {self.followed} (started {_iso(session.started or 0)}, finished "
            f"{_iso(session.finished or 0)}); virtual now {_iso(self.now())} at x{self.settings.speed:g}; "
            f"clock origin {self.clock.origin:.3f}"
        )


_LAP_FIELD_TIMES = {*_SECTOR_FIELDS[1], *_SECTOR_FIELDS[2], *_LAP_END_FIELDS}


def _chain(versions: Sequence[Version]) -> list[Version]:
    """Versions with their visible_until set to the next one's visible_from (same-time versions merged)."""
    merged: list[Version] = []
    for version in versions:
        if merged and merged[-1].visible_from == version.visible_from:
            merged[-1] = version
        elif merged and merged[-1].text == version.text:
            continue
        else:
            merged.append(version)
    for older, newer in itertools.pairwise(merged):
        older.visible_until = newer.visible_from
    return merged


def _lap_times(
    record: dict[str, Any], following: dict[str, Any] | None, previous_end: float | None
) -> dict[str, float | None]:
    """When each of the lap's fields is known: its start, its end, each sector's completion (None: unknown).
    ``back_start``: the start implied by the end minus the known sector times (a lower bound for out-laps)."""
    s1, s2, s3 = (_number(record.get(f"duration_sector_{k}")) for k in (1, 2, 3))
    duration = _number(record.get("lap_duration"))
    start = _epoch(record.get("date_start"))
    if start is None:
        start = previous_end
    end = start + duration if start is not None and duration is not None else None
    if end is None and following is not None and following.get("lap_number") == record.get("lap_number", 0) + 1:
        end = _epoch(following.get("date_start"))
    if end is None and start is not None and None not in (s1, s2, s3):
        end = start + s1 + s2 + s3  # type: ignore[operator]
    # sectors timed forward from the start, then backward from the end where the forward chain breaks
    done: dict[int, float | None] = {1: None, 2: None, 3: end}
    if start is not None and s1 is not None:
        done[1] = start + s1
        if s2 is not None:
            done[2] = done[1] + s2
    if end is not None:
        if done[2] is None and s3 is not None:
            done[2] = end - s3
        if done[1] is None and done[2] is not None and s2 is not None:
            done[1] = done[2] - s2
    back_start = done[1] - s1 if done[1] is not None and s1 is not None else done[1]
    if back_start is None and done[2] is not None:
        back_start = done[2] - (s2 or 0)
    times: dict[str, float | None] = {"start": start, "end": end, "back_start": back_start if start is None else None}
    for sector, names in _SECTOR_FIELDS.items():
        times.update(dict.fromkeys(names, done[sector]))
    times.update(dict.fromkeys(_LAP_END_FIELDS, end))
    return times
