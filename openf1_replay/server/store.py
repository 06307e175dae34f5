"""The snapshot as DuckDB tables: one per endpoint, each record's original JSON text plus typed key columns.

A table holds ``rec`` (the record exactly as stored in the snapshot file, so answers echo field order and JSON
types), ``file_no`` and, for the fields OpenF1 sorts and narrows by (``SORT_KEYS``) when the endpoint has them,
a typed column: DOUBLE for numbers, TIMESTAMPTZ for datetimes. A typed column is NULL where the JSON value is
of another type, so filtering on it means what filtering the JSON would. Insertion order is file order, so
``rowid`` is snapshot order.

Records are never loaded into Python: DuckDB reads the files (``read_ndjson_objects`` handles .gz) and answers
are streamed in batches. With ``db_path`` the tables live in a DuckDB file reused across starts as long as the
snapshot files (paths, sizes, mtimes) are unchanged.

Telemetry files named for their session (``car_data/<session_key>[_<anything>].jsonl.gz``, as the simulator
and the recorder write them) are read on demand: the first request for a session reads that session's files
into a table of their own, and the least recently used of those tables is dropped once more than
``lazy_sessions`` are held. A season of telemetry (~100M rows) is thus served from a few hundred MB, and the
server starts in a second. A file is taken for its session when its first records are of it (``2024_all``
is read at start-up like any other file); one with another session's records further on is an error naming
the file when that session is read. A session whose only file its writer listed as already in answer order
(``snapshot.OrderedFile``) is not even read into a table for a request of the whole session: ``ordered_file``
names the file, whose lines are the answer as they are.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from openf1_replay import snapshot

# OpenF1's sort keys, in priority order (query_api/sort.py): a key sorts an answer when every record in it
# has a non-null value. They double as the typed columns used for fast filtering.
SORT_KEYS: dict[str, str] = {
    "date": "datetime",
    "date_start": "datetime",
    "meeting_key": "number",
    "session_key": "number",
    "lap_start": "number",
    "lap_number": "number",
    "lap_end": "number",
    "date_end": "datetime",
    "driver_number": "number",
}
STORE_VERSION = "3"  # bump when the table layout changes, so --db caches are rebuilt
LAZY_SESSIONS = 6  # per-session telemetry tables held at once (each ~0.5M rows for a race)
_SAMPLE_ROWS = 500
_BATCH_ROWS = 20_000
_READ_BYTES = 1 << 20  # compressed bytes read at a time from an ordered file (~7 MB of text)


def _typed_expression(index: int, kind: str) -> str:
    """The typed value of the ``index``-th (1-based) sort key in ``v``, the keys' JSON values extracted at once."""
    value = f"v[{index}]"
    if kind == "number":
        return (
            f"CASE WHEN json_type({value}) IN ('UBIGINT', 'BIGINT', 'DOUBLE') "
            f"THEN TRY_CAST(json_extract_string({value}, '$') AS DOUBLE) END"
        )
    # a string that is not a datetime (real data has "NaT+00:00") is kept as +infinity: present for the sort
    # rule, sorted after every datetime as OpenF1's string sort does, and never matched by a filter
    return (
        f"CASE WHEN json_type({value}) = 'VARCHAR' THEN coalesce("
        f"TRY_CAST(json_extract_string({value}, '$') AS TIMESTAMPTZ), 'infinity'::TIMESTAMPTZ) END"
    )


def _reader(path: Path) -> str:
    """The DuckDB table function reading one snapshot file as JSON objects (one column named ``json``)."""
    quoted = str(path).replace("'", "''")
    if snapshot.file_format(path) == "json":
        return f"read_json_objects('{quoted}', format = 'array')"
    return f"read_ndjson_objects('{quoted}')"


@dataclass(frozen=True)
class Selection:
    """What a filter selects in one endpoint: row count, JSON body size and the sort keys that apply."""

    count: int
    text_bytes: int
    order_by: tuple[str, ...]


class SnapshotStore:
    """Reads a snapshot folder into DuckDB; answers filtered, OpenF1-ordered record texts."""

    def __init__(self, root: Path | str, db_path: Path | str | None = None, lazy_sessions: int = LAZY_SESSIONS) -> None:
        self.root = Path(root)
        self.endpoints = snapshot.endpoints_in(self.root)  # raises SnapshotError for a missing folder
        if not self.endpoints:
            raise snapshot.SnapshotError(
                f"{self.root}: no endpoint files found; pass a folder holding <endpoint>.jsonl.gz files "
                f"(endpoints: {', '.join(snapshot.ENDPOINTS)})"
            )
        self._lock = threading.Lock()
        self._queries = 0  # requests reading the tables now (close waits for them)
        self._no_queries = threading.Condition(self._lock)
        self.con = duckdb.connect(str(db_path) if db_path else ":memory:")
        # DuckDB draws a progress bar on stdout for slow queries; stdout carries the "serving ..." line.
        self.con.execute("SET enable_progress_bar = false")
        self.typed_columns: dict[str, dict[str, str]] = {}
        self.reused: set[str] = set()  # endpoints taken from the --db cache as they were
        # endpoint -> session_key -> [(file_no, path)] of the files read on demand
        self.lazy_files: dict[str, dict[int, list[tuple[int, Path]]]] = {}
        self.lazy_sessions = max(1, lazy_sessions)
        self._lazy_tables: OrderedDict[str, int] = OrderedDict()  # table -> requests using it, oldest first
        self._loading: dict[str, threading.Event] = {}  # tables being read, set when done
        self._samples: dict[Path, tuple[dict[str, Any], ...]] = {}  # first records of each file, read at start
        # endpoint -> session_key -> its only file, listed in the folder's index as in answer order
        self.ordered: dict[str, dict[int, tuple[Path, snapshot.OrderedFile]]] = {}
        self._sessions_read_at_start: dict[str, set[int]] = {}
        # live mode (server/live.py): endpoint -> its table of record versions, read instead of the endpoint's
        self.live_sources: dict[str, str] = {}
        self._ensure_manifest()
        for endpoint in self.endpoints:
            self._load(endpoint)
        self.latest = {"session_key": self._latest("sessions"), "meeting_key": self._latest_meeting()}
        self._samples.clear()

    # ------------------------------------------------------------------------------------------ loading

    def _ensure_manifest(self) -> None:
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS _manifest (endpoint VARCHAR PRIMARY KEY, files VARCHAR, columns VARCHAR)"
        )

    def _fingerprint(self, files: Sequence[Path]) -> str:
        stats = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
        return json.dumps({"version": STORE_VERSION, "files": stats})

    def _load(self, endpoint: str) -> None:
        """Read the endpoint's files into its table, except the per-session telemetry files read on demand."""
        files = snapshot.endpoint_files(self.root, endpoint)
        eager: list[tuple[int, Path]] = []
        lazy: dict[int, list[tuple[int, Path]]] = {}
        for file_no, path in enumerate(files):
            session = snapshot.session_of_file(endpoint, path)
            if session is None or not self._starts_with_session(path, session):
                eager.append((file_no, path))
            else:
                lazy.setdefault(session, []).append((file_no, path))
        if lazy:
            self.lazy_files[endpoint] = lazy
            self.ordered[endpoint] = self._ordered_sessions(endpoint, lazy)
        fingerprint = self._fingerprint(files)
        cached = self.con.execute("SELECT files, columns FROM _manifest WHERE endpoint = ?", [endpoint]).fetchone()
        if cached is not None and cached[0] == fingerprint:
            self.typed_columns[endpoint] = json.loads(cached[1])
            self.reused.add(endpoint)
            return
        columns = self._present_keys(files)
        self.con.begin()  # one transaction per endpoint: a --db cache never holds half an endpoint
        try:
            self._create(endpoint, columns)
            for file_no, path in eager:
                self._insert(endpoint, file_no, path, columns)
            self.con.execute(
                "INSERT OR REPLACE INTO _manifest VALUES (?, ?, ?)", [endpoint, fingerprint, json.dumps(columns)]
            )
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        self.typed_columns[endpoint] = columns

    def _create(self, table: str, columns: dict[str, str], cursor: duckdb.DuckDBPyConnection | None = None) -> None:
        sql_types = {"number": "DOUBLE", "datetime": "TIMESTAMPTZ"}
        definitions = "".join(f', "{name}" {sql_types[kind]}' for name, kind in columns.items())
        (cursor or self.con).execute(f'CREATE OR REPLACE TABLE "{table}" (rec VARCHAR, file_no INTEGER{definitions})')

    def _sample(self, path: Path) -> tuple[dict[str, Any], ...]:
        """The file's first records, read in Python (stops early: a few ms even for a 100 MB telemetry file)."""
        if path not in self._samples:
            self._samples[path] = tuple(itertools.islice(snapshot.iter_file(path), _SAMPLE_ROWS))
        return self._samples[path]

    def _starts_with_session(self, path: Path, session: int) -> bool:
        """Whether the file's first records are of the session its name gives (a name like ``2024_all`` is
        not a session key: such a file is read at start-up like any other)."""
        keys = {record.get("session_key") for record in self._sample(path)}
        return bool(keys) and all(isinstance(k, int) and k == session for k in keys)

    def _present_keys(self, files: Sequence[Path]) -> dict[str, str]:
        """The sort keys the endpoint's records carry, judged from the first records of each file."""
        present: set[str] = set()
        for path in files:
            for record in self._sample(path):
                present.update(record)
        return {name: kind for name, kind in SORT_KEYS.items() if name in present}

    def _insert(
        self,
        table: str,
        file_no: int,
        path: Path,
        columns: dict[str, str],
        cursor: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        # the sort keys' JSON values are extracted in one pass over each record, then typed
        paths = ", ".join(f"'$.{name}'" for name in columns)
        extracted = f", json_extract(json, [{paths}]) AS v" if columns else ""
        typed = "".join(f", {_typed_expression(i, kind)}" for i, kind in enumerate(columns.values(), start=1))
        source = _reader(path)
        with tempfile.TemporaryDirectory() as scratch:
            if snapshot.file_format(path) == "csv":
                source = _reader(self._csv_as_jsonl(path, Path(scratch)))
            try:
                (cursor or self.con).execute(
                    f'INSERT INTO "{table}" SELECT '
                    f"CASE WHEN json_type(json) = 'OBJECT' THEN json::VARCHAR ELSE error('not a JSON object') END, "
                    f"{file_no}{typed} FROM (SELECT json{extracted} FROM {source})"
                )
            except duckdb.Error as error:
                raise self._file_error(path, error) from None

    @staticmethod
    def _csv_as_jsonl(path: Path, scratch: Path) -> Path:
        """CSV loses JSON types: recover them record by record (snapshot.iter_file) into a JSONL file."""
        target = scratch / "records.jsonl"
        with open(target, "w", encoding="utf-8") as handle:
            for record in snapshot.iter_file(path):
                handle.write(json.dumps(record, separators=(", ", ": "), ensure_ascii=False) + "\n")
        return target

    @staticmethod
    def _file_error(path: Path, error: duckdb.Error) -> snapshot.SnapshotError:
        """The snapshot module's precise message (file and line) when it agrees the file is bad."""
        try:
            for _ in snapshot.iter_file(path):
                pass
        except snapshot.SnapshotError as precise:
            return precise
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return snapshot.SnapshotError(f"{path}: cannot be read ({first_line}); {snapshot.WRITE_AGAIN}")

    def _ordered_sessions(
        self, endpoint: str, lazy: dict[int, list[tuple[int, Path]]]
    ) -> dict[int, tuple[Path, snapshot.OrderedFile]]:
        """The sessions held in one file that the folder's index lists as in answer order (and still matches)."""
        index = snapshot.read_index(self.root / endpoint)
        ordered = {}
        for session, files in lazy.items():
            if len(files) != 1 or files[0][1].name not in index:
                continue
            path = files[0][1]
            entry = index[path.name]
            known = tuple(name for name in SORT_KEYS if name in entry.order)
            if entry.order == known and snapshot.matches_index(path, entry):
                ordered[session] = (path, entry)
        return ordered

    # ------------------------------------------------------------------------------------------ on demand

    def _load_session(self, endpoint: str, session: int, table: str) -> None:
        """Read one session's telemetry files into ``table``; an error if a file holds another session."""
        columns = self.typed_columns[endpoint]
        cursor = self._cursor()
        try:
            self._create(table, columns, cursor)
            for file_no, path in self.lazy_files[endpoint][session]:
                self._insert(table, file_no, path, columns, cursor)
            if "session_key" in columns:
                strays = cursor.execute(
                    f'SELECT min(file_no) FROM "{table}" WHERE "session_key" IS DISTINCT FROM ?', [session]
                ).fetchone()
                if strays is not None and strays[0] is not None:
                    path = dict(self.lazy_files[endpoint][session])[strays[0]]
                    raise snapshot.SnapshotError(
                        f"{path}: holds records of sessions other than {session}; a telemetry file named "
                        "<session_key>[_<anything>].jsonl.gz must hold that session only (rename or split it)"
                    )
        except BaseException:
            cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
            raise
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _source(self, endpoint: str, sessions: Collection[int] | None) -> Iterator[str]:
        """The FROM item answering ``endpoint`` for ``sessions`` (None: every session): its table plus the
        on-demand tables of those sessions, read if needed and held until the block ends; ``row_no`` keeps
        each file's record order."""
        if endpoint in self.live_sources:  # already has row_no (and visible_from/visible_until)
            yield f"(SELECT * FROM {self.live_sources[endpoint]})"
            return
        lazy = self.lazy_files.get(endpoint, {})
        wanted = sorted(lazy if sessions is None else {int(s) for s in sessions if s in lazy})
        pinned: list[str] = []
        with self._lock:
            self._queries += 1
        try:
            for session in wanted:
                pinned.append(self._pin(endpoint, session))
            parts = [f'SELECT *, rowid AS row_no FROM "{table}"' for table in [endpoint, *pinned]]
            yield "(" + " UNION ALL ".join(parts) + ")"
        finally:
            with self._lock:
                self._release(pinned)
                self._evict()
                self._queries -= 1
                self._no_queries.notify_all()

    def _pin(self, endpoint: str, session: int) -> str:
        """The session's on-demand table, read now unless held already, counted as in use until released.
        Reading happens outside the lock, so requests for other sessions or endpoints go on meanwhile."""
        table = f"{endpoint}@{session}"
        while True:
            with self._lock:
                if table in self._lazy_tables:
                    self._lazy_tables[table] += 1
                    self._lazy_tables.move_to_end(table)
                    return table
                loading = self._loading.get(table)
                mine = loading is None
                if mine:
                    loading = self._loading[table] = threading.Event()
            assert loading is not None
            if not mine:
                loading.wait()  # read by another request (or failed there: then try here)
                continue
            try:
                self._load_session(endpoint, session, table)
                with self._lock:
                    self._lazy_tables[table] = 1
                    self._evict()
                return table
            finally:
                with self._lock:
                    del self._loading[table]
                loading.set()

    def _release(self, tables: Sequence[str]) -> None:
        for table in tables:
            self._lazy_tables[table] -= 1

    def _evict(self) -> None:
        """Drop the least recently used on-demand tables no request is reading, down to ``lazy_sessions``."""
        idle = [table for table, readers in self._lazy_tables.items() if readers == 0]
        for table in idle[: max(0, len(self._lazy_tables) - self.lazy_sessions)]:
            del self._lazy_tables[table]
            self.con.execute(f'DROP TABLE IF EXISTS "{table}"')

    # ------------------------------------------------------------------------------------------ latest

    def _latest(self, endpoint: str) -> int | None:
        """The key of the most recent non-cancelled meeting or session, by date_start."""
        key = "session_key" if endpoint == "sessions" else "meeting_key"
        if endpoint not in self.endpoints or key not in self.typed_columns[endpoint]:
            return None
        dated = "date_start" in self.typed_columns[endpoint]
        order = 'CASE WHEN isfinite("date_start") THEN "date_start" END DESC NULLS LAST, ' if dated else ""
        row = self.con.execute(
            f'SELECT "{key}" FROM "{endpoint}" WHERE "{key}" IS NOT NULL '
            f"AND coalesce(json_extract_string(rec, '$.is_cancelled') <> 'true', true) "
            f"ORDER BY {order}rowid DESC LIMIT 1"
        ).fetchone()
        return int(row[0]) if row else None

    def _latest_meeting(self) -> int | None:
        meeting = self._latest("meetings")
        if meeting is not None:
            return meeting
        session = self._latest("sessions")
        if session is None:
            return None
        row = (
            self.con.execute(
                'SELECT "meeting_key" FROM "sessions" WHERE "session_key" = ? LIMIT 1', [session]
            ).fetchone()
            if "meeting_key" in self.typed_columns["sessions"]
            else None
        )
        return int(row[0]) if row and row[0] is not None else None

    # ------------------------------------------------------------------------------------------ queries

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one request thread (DuckDB connections are not shared across threads)."""
        with self._lock:
            return self.con.cursor()

    def held_sessions(self) -> list[tuple[str, int]]:
        """The (endpoint, session_key) of the on-demand telemetry tables held now, least recently used first."""
        with self._lock:
            held = list(self._lazy_tables)
        return [(endpoint, int(session)) for endpoint, session in (table.split("@") for table in held)]

    def has(self, endpoint: str) -> bool:
        return endpoint in self.typed_columns

    def ordered_file(self, endpoint: str, session: int) -> tuple[Path, snapshot.OrderedFile] | None:
        """The file whose lines, in order, are the whole answer for ``session`` (see ``snapshot.OrderedFile``),
        or None: the session is not in one ordered file, the file changed since, or records of the session are
        also in files read at start-up."""
        found = self.ordered.get(endpoint, {}).get(session)
        if found is None or not snapshot.matches_index(*found):
            return None
        if session in self._read_at_start(endpoint):
            return None
        return found

    def _read_at_start(self, endpoint: str) -> set[int]:
        """The session keys in the endpoint's table of files read at start-up (it never changes after)."""
        with self._lock:
            known = self._sessions_read_at_start.get(endpoint)
        if known is None:
            cursor = self._cursor()
            try:
                rows = cursor.execute(
                    f'SELECT DISTINCT "session_key" FROM "{endpoint}" WHERE "session_key" IS NOT NULL'
                ).fetchall()
            finally:
                cursor.close()
            known = {int(row[0]) for row in rows}
            with self._lock:
                self._sessions_read_at_start[endpoint] = known
        return known

    @staticmethod
    def read_lines(path: Path) -> Iterator[bytes]:
        """The text of an ordered (single-member gzip) file, in pieces of whole bytes, as stored."""
        inflate = zlib.decompressobj(wbits=31)
        with open(path, "rb") as handle:
            while block := handle.read(_READ_BYTES):
                if text := inflate.decompress(block):
                    yield text
            if not inflate.eof or inflate.unused_data:
                raise snapshot.SnapshotError(f"{path}: not a single complete gzip stream; re-record the file")

    def select(
        self, endpoint: str, where: str, params: Sequence[object], sessions: Collection[int] | None = None
    ) -> Selection:
        """Count what ``where`` selects and decide the OpenF1 sort keys for it (non-null in every record).

        ``sessions``: the session keys the query is limited to (read on demand if needed); None for any."""
        keys = list(self.typed_columns[endpoint])
        counts = "".join(f', count("{name}")' for name in keys)
        with self._source(endpoint, sessions) as source:
            cursor = self._cursor()
            try:
                row = cursor.execute(
                    f"SELECT count(*), coalesce(sum(strlen(rec)), 0){counts} FROM {source} WHERE {where}",
                    list(params),
                ).fetchone()
            finally:
                cursor.close()
        assert row is not None
        total = int(row[0])
        order_by = tuple(name for name, count in zip(keys, row[2:], strict=True) if total and count == total)
        ordered = tuple(name for name in SORT_KEYS if name in order_by)
        return Selection(count=total, text_bytes=int(row[1]), order_by=ordered)

    def texts(
        self,
        endpoint: str,
        where: str,
        params: Sequence[object],
        selection: Selection,
        sessions: Collection[int] | None = None,
        batch_rows: int = _BATCH_ROWS,
    ) -> Iterator[list[str]]:
        """The selected records' JSON texts, OpenF1-ordered (ties in snapshot order), in batches."""
        order = "".join(f'"{name}", ' for name in selection.order_by) + "file_no, row_no"
        with self._source(endpoint, sessions) as source:
            cursor = self._cursor()
            try:
                cursor.execute(f"SELECT rec FROM {source} WHERE {where} ORDER BY {order}", list(params))
                while batch := cursor.fetchmany(batch_rows):
                    yield [row[0] for row in batch]
            finally:
                cursor.close()

    def field_names(
        self, endpoint: str, where: str, params: Sequence[object], sessions: Collection[int] | None = None
    ) -> list[str]:
        """Every field name found in the selected records (for CSV headers)."""
        with self._source(endpoint, sessions) as source:
            cursor = self._cursor()
            try:
                rows = cursor.execute(
                    f"SELECT DISTINCT unnest(json_keys(rec)) FROM {source} WHERE {where}", list(params)
                ).fetchall()
            finally:
                cursor.close()
        return sorted(row[0] for row in rows)

    def close(self, wait_s: float = 30.0) -> None:
        """Close the database once the requests reading it are done (DuckDB refuses to close a connection
        whose cursor is busy: a request thread may still be finishing an answer its client has whole)."""
        with self._lock:
            self._no_queries.wait_for(lambda: self._queries == 0, timeout=wait_s)
            for table in self._lazy_tables:  # not left in a --db cache file
                self.con.execute(f'DROP TABLE IF EXISTS "{table}"')
            self.con.close()
