"""dlt resources for OpenF1: meetings and sessions as parents, and a resource per per-session endpoint.

Meetings and sessions merge on their keys. Each per-session table merges on ``session_key`` (dlt's
delete-insert with a merge key): loading a session again replaces that session's rows, so there are no
duplicates and rows OpenF1 has since withdrawn go. Telemetry tables are appended to instead, and the pipeline
then deletes each session's rows of older loads (``supersede``): the same outcome without dlt's staging copy.
Within a session, rows are deduplicated on the endpoint's natural key here (last wins, as OpenF1 serves the
latest version of a document last). The natural key is not given to dlt as a primary key: dlt would then
match deleted rows on (natural key OR session), which DuckDB cannot hash-join, and reloading one race took
minutes instead of a second.
Telemetry (car_data, location) travels as Parquet files written by DuckDB and imported by dlt as they are
(``telemetry``); other endpoints' records do too when they fit the catalogue (``arrow``), and go through dlt's
normaliser when they do not (a new field, a changed type). Every row carries its load's ``_dlt_load_id``.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from dlt_pipelines.openf1 import catalogue, telemetry
from dlt_pipelines.openf1.arrow import as_arrow, write_import_file
from dlt_pipelines.openf1.state import LoadLedger
from openf1_api import OpenF1Client

SESSION_FALLBACK_LENGTH = timedelta(hours=3)


class LoadProgress(Protocol):
    """What the source tells the run while it fetches (called from dlt's worker threads for telemetry)."""

    def fetched(self, session: dict[str, Any], endpoint: str, rows: int) -> None:
        """``endpoint`` of ``session`` is fetched: ``rows`` rows are in the load package."""

    def requests_known(self, session: dict[str, Any], endpoint: str, requests: int) -> None:
        """``endpoint`` of ``session`` takes ``requests`` requests (telemetry: once its drivers are listed)."""


@dataclass
class LoadContext:
    """What one loader run shares with every dlt run of its source: the client, the ledger and which
    (session, endpoint) pairs are due, where the imported files go, the progress, and the counts it keeps.

    ``bookkeeping`` guards the ledger and ``dropped``: telemetry resources update them from dlt's worker threads.
    """

    client: OpenF1Client
    ledger: LoadLedger
    wanted: Callable[[dict[str, Any], str], bool]
    progress: LoadProgress
    scratch: Path  # the Parquet files dlt imports, on the pipeline's file system, kept until the dlt run ends
    telemetry_window: timedelta | None = timedelta(minutes=10)  # None: a whole session per request
    json_as_text: bool = False  # JSON columns may travel as text in the Parquet files (DuckDB; see arrow.as_arrow)
    dropped: Counter[str] = field(default_factory=Counter)  # rows without a usable key, by endpoint
    bookkeeping: threading.Lock = field(default_factory=threading.Lock)

    def mark_fetched(self, session: dict[str, Any], endpoint: str, rows: int) -> None:
        """A session's endpoint is in the load package: the ledger (saved with the package) and the progress."""
        with self.bookkeeping:
            self.ledger.mark(session, endpoint)
        self.progress.fetched(session, endpoint, rows)


def record_hash(record: dict[str, Any]) -> str:
    """A stable key for records without a natural one: md5 of the record's canonical JSON."""
    canonical = json.dumps({k: v for k, v in record.items() if k != "record_hash"}, sort_keys=True, default=str)
    return hashlib.md5(canonical.encode("utf-8")).hexdigest()


def _resource_hints(endpoint: catalogue.Endpoint) -> dict[str, Any]:
    columns = {name: dict(spec) for name, spec in endpoint.columns.items()}
    for name in endpoint.primary_key:
        columns[name]["nullable"] = False
    if endpoint.per_session:  # imported files carry the columns dlt's normaliser adds to the records it handles
        columns["_dlt_load_id"] = {"data_type": "text", "nullable": False}
    if endpoint.per_session and not endpoint.telemetry:
        columns["_dlt_id"] = {"data_type": "text", "nullable": False, "unique": True}
    hints: dict[str, Any] = {"name": endpoint.table, "write_disposition": "merge", "columns": columns}
    if endpoint.telemetry:  # appended; the pipeline drops rows superseded by a newer load (``supersede``)
        hints["write_disposition"] = "append"
    elif endpoint.per_session:
        hints["merge_key"] = "session_key"
    else:
        hints["primary_key"] = list(endpoint.primary_key)
    return hints


def prepare(records: list[dict[str, Any]], endpoint: catalogue.Endpoint, dropped: Counter[str]) -> list[dict[str, Any]]:
    """Clean, drop rows without a key, and keep the last row per natural key."""
    clean, has_key = _clean(endpoint), _has_key(endpoint, dropped)
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        if endpoint.hashed_key:
            record["record_hash"] = record_hash(record)
        record = clean(record)
        if has_key(record):
            latest[tuple(record[k] for k in endpoint.primary_key)] = record
    return list(latest.values())


def _clean(endpoint: catalogue.Endpoint) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Make a record loadable without losing a value: mixed-type fields become JSON text, and a timestamp
    OpenF1 could not produce (real data has 'NaT+00:00') becomes null rather than a variant column."""

    mixed, timestamps = endpoint.mixed, endpoint.timestamps

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        for name in mixed:
            value = record.get(name)
            if value is not None and not isinstance(value, str):
                record[name] = _json_text(value)
        for name in timestamps:
            value = record.get(name)
            if value is not None and not _is_timestamp(value):
                record[name] = None
        return record

    return clean


def _json_text(value: Any) -> str:
    """``json.dumps(value)``, without its encoder's set-up for the common finite float and int (intervals: 0.7M
    gaps a season)."""
    kind = type(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value)


def _is_timestamp(value: Any) -> bool:
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _has_key(endpoint: catalogue.Endpoint, dropped: Counter[str]) -> Callable[[dict[str, Any]], bool]:
    """Rows with a null key column carry nothing joinable (OpenF1 emits some, e.g. #17): they are dropped,
    and counted in ``dropped`` so the run's summary says so."""
    keys = endpoint.primary_key

    def keep(record: dict[str, Any]) -> bool:
        if all(record.get(k) is not None for k in keys):
            return True
        dropped[endpoint.name] += 1
        return False

    return keep


def session_window(session: dict[str, Any]) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(session["date_start"])
    end = datetime.fromisoformat(session["date_end"]) if session.get("date_end") else start + SESSION_FALLBACK_LENGTH
    return start, end


def parent_resource(
    name: str, rows: Sequence[dict[str, Any]], dropped: Counter[str], selected: bool = True
) -> DltResource:
    endpoint = catalogue.get(name)
    resource = dlt.resource(list(rows), **_resource_hints(endpoint), selected=selected)
    return resource.add_map(_clean(endpoint)).add_filter(_has_key(endpoint, dropped))


def telemetry_resource(
    context: LoadContext,
    endpoint: catalogue.Endpoint,
    sessions: Sequence[dict[str, Any]],
    workers: telemetry.SharedWorkers,
) -> DltResource:
    """car_data or location for every wanted session, fetched and parsed by ``workers`` (shared by both
    endpoints, see ``telemetry.fetch_sessions``); run in dlt's thread pool beside the other endpoint."""
    client, window = context.client, context.telemetry_window

    def plan() -> Iterator[tuple[dict[str, Any], list[telemetry.Params]]]:
        for session in sessions:
            if session.get("session_key") is None or not context.wanted(session, endpoint.name):
                continue
            start, end = session_window(session)
            drivers: list[int | None] = [None]  # one request for the whole session (local replay)
            if window is not None:  # OpenF1 itself: per driver, in time windows
                listed = client.get("drivers", {"session_key": session["session_key"]})
                drivers = sorted({d["driver_number"] for d in listed if d.get("driver_number") is not None})
            requests = telemetry.session_requests(session["session_key"], drivers, start, end, window)
            context.progress.requests_known(session, endpoint.name, len(requests) + (window is not None))
            yield session, requests

    def done(session: dict[str, Any], rows: int) -> None:
        context.mark_fetched(session, endpoint.name, rows)

    def items() -> Iterator[Any]:
        yield from telemetry.fetch_sessions(
            client, endpoint, plan(), context.scratch, context.dropped, context.bookkeeping, done, workers
        )

    return dlt.resource(items, parallelized=True, **_resource_hints(endpoint))


def meeting_groups(
    sessions: Sequence[dict[str, Any]], wanted: Callable[[dict[str, Any]], bool]
) -> Iterator[tuple[int | None, list[dict[str, Any]]]]:
    """(meeting_key, its wanted sessions) in the order the sessions come; a session without a meeting_key is a
    group of its own (meeting None)."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for session in sessions:
        if session.get("session_key") is None or not wanted(session):
            continue
        meeting = session.get("meeting_key")
        if meeting is None:
            yield None, [session]
            continue
        groups.setdefault(meeting, []).append(session)
    yield from groups.items()


def group_query(meeting: int | None, sessions: Sequence[dict[str, Any]]) -> dict[str, int]:
    """The one request for ``sessions`` (all of one meeting): ``session_key=`` for one session, else
    ``meeting_key=`` (every OpenF1 record carries both keys), whose answer the caller narrows to the sessions."""
    if meeting is None or len(sessions) == 1:
        return {"session_key": sessions[0]["session_key"]}
    return {"meeting_key": meeting}


def endpoint_resource(
    context: LoadContext, endpoint: catalogue.Endpoint, sessions: Sequence[dict[str, Any]]
) -> DltResource:
    """``endpoint`` (not telemetry) of every wanted session, one request per meeting: the answer narrowed to the
    wanted sessions is exactly what a request per session would bring (OpenF1 filters on equality alike), in
    a fifth of the requests. The meetings' records that fit the catalogue go into one Parquet file per dlt run
    (each file is a load job of its own: hundreds cost seconds of dlt's bookkeeping); the others, meeting by
    meeting, to dlt's normaliser."""

    def items() -> Iterator[Any]:
        tables: list[pa.Table] = []
        for meeting, due in meeting_groups(sessions, lambda session: context.wanted(session, endpoint.name)):
            keys = {session["session_key"] for session in due}
            answer = context.client.get(endpoint.name, group_query(meeting, due))
            if len(due) > 1:
                answer = [record for record in answer if record.get("session_key") in keys]
            records = prepare(answer, endpoint, context.dropped)
            table = as_arrow(records, endpoint, context.json_as_text)
            if table is not None:
                tables.append(table)
            elif records:
                yield records
            rows = Counter(record.get("session_key") for record in records)
            for session in due:  # the ledger travels in the package: marked now, kept only if it loads
                context.mark_fetched(session, endpoint.name, rows[session["session_key"]])
        if tables:
            table = pa.concat_tables(tables)
            path = context.scratch / f"{endpoint.name}.parquet"
            write_import_file(table, path, dlt.current.load_package_state()["load_id"])
            yield dlt.mark.with_file_import(str(path), "parquet", table.num_rows)

    # not in dlt's thread pool: pyarrow there imports pandas lazily while dlt's main thread checks for pandas
    # frames, and a half-imported pandas failed a load ("partially initialized module 'pandas'")
    return dlt.resource(items, **_resource_hints(endpoint))


@dlt.source(name="openf1", max_table_nesting=0, root_key=False)
def openf1_source(
    context: LoadContext,
    meetings: Sequence[dict[str, Any]],
    sessions: Sequence[dict[str, Any]],
    endpoints: Sequence[str],
    load_parents: bool = True,
    children_of: Sequence[dict[str, Any]] | None = None,
) -> Iterator[DltResource]:
    """OpenF1 for the given meetings and sessions: per-session ``endpoints`` of ``children_of`` (default: every
    session given). ``load_parents=False`` loads neither parent table (the pipeline loads them with its first
    dlt run, then the children meeting by meeting)."""
    yield parent_resource("meetings", meetings, context.dropped, selected=load_parents)
    yield parent_resource("sessions", sessions, context.dropped, selected=load_parents)
    sessions = sessions if children_of is None else children_of
    workers = telemetry.SharedWorkers(users=sum(catalogue.get(name).telemetry for name in endpoints))
    for name in endpoints:
        endpoint = catalogue.get(name)
        if not endpoint.per_session:
            continue
        if endpoint.telemetry:
            yield telemetry_resource(context, endpoint, sessions, workers)
            continue
        yield endpoint_resource(context, endpoint, sessions)
