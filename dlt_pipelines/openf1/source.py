"""dlt resources for OpenF1: meetings and sessions as parents, every per-session endpoint as a transformer.

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
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
from dlt.sources import DltResource

from dlt_pipelines.openf1 import catalogue, telemetry
from dlt_pipelines.openf1.arrow import as_arrow, write_import_file
from dlt_pipelines.openf1.state import LoadLedger
from openf1_api import OpenF1Client

SESSION_FALLBACK_LENGTH = timedelta(hours=3)
_BOOKKEEPING = threading.Lock()  # telemetry resources run in dlt's worker threads


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

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        for name in endpoint.mixed:
            value = record.get(name)
            if value is not None and not isinstance(value, str):
                record[name] = json.dumps(value)
        for name in endpoint.timestamps:
            value = record.get(name)
            if value is not None and not _is_timestamp(value):
                record[name] = None
        return record

    return clean


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
    client: OpenF1Client,
    endpoint: catalogue.Endpoint,
    sessions: Sequence[dict[str, Any]],
    ledger: LoadLedger,
    wanted: Callable[[dict[str, Any], str], bool],
    on_fetched: Callable[[dict[str, Any], str, int], None],
    telemetry_window: timedelta | None,
    dropped: Counter[str],
    scratch: Path,
    workers: telemetry.SharedWorkers,
) -> DltResource:
    """car_data or location for every wanted session, fetched and parsed by ``workers`` (shared by both
    endpoints, see ``telemetry.fetch_sessions``); run in dlt's thread pool beside the other endpoint."""

    def plan() -> Iterator[tuple[dict[str, Any], list[telemetry.Params]]]:
        for session in sessions:
            if session.get("session_key") is None or not wanted(session, endpoint.name):
                continue
            start, end = session_window(session)
            drivers: list[int | None] = [None]  # one request for the whole session (local replay)
            if telemetry_window is not None:  # OpenF1 itself: per driver, in time windows
                listed = client.get("drivers", {"session_key": session["session_key"]})
                drivers = sorted({d["driver_number"] for d in listed if d.get("driver_number") is not None})
            yield session, telemetry.session_requests(session["session_key"], drivers, start, end, telemetry_window)

    def done(session: dict[str, Any], rows: int) -> None:
        _mark_fetched(ledger, on_fetched, session, endpoint.name, rows)

    def items() -> Iterator[Any]:
        yield from telemetry.fetch_sessions(client, endpoint, plan(), scratch, dropped, _BOOKKEEPING, done, workers)

    return dlt.resource(items, parallelized=True, **_resource_hints(endpoint))


def endpoint_transformer(
    client: OpenF1Client,
    endpoint: catalogue.Endpoint,
    ledger: LoadLedger,
    wanted: Callable[[dict[str, Any], str], bool],
    on_fetched: Callable[[dict[str, Any], str, int], None],
    dropped: Counter[str],
    scratch: Path,
) -> Callable[[dict[str, Any]], Iterator[Any]]:
    """A transformer body fetching ``endpoint`` (not telemetry) for each session piped into it."""

    def fetch(session: dict[str, Any]) -> Iterator[Any]:
        if not wanted(session, endpoint.name):
            return
        session_key = session["session_key"]
        records = prepare(client.get(endpoint.name, {"session_key": session_key}), endpoint, dropped)
        table = as_arrow(records, endpoint)
        if table is None:
            yield records
        else:
            path = scratch / f"{endpoint.name}-{session_key}.parquet"
            write_import_file(table, path, dlt.current.load_package_state()["load_id"])
            yield dlt.mark.with_file_import(str(path), "parquet", table.num_rows)
        _mark_fetched(ledger, on_fetched, session, endpoint.name, len(records))

    return fetch


def _mark_fetched(
    ledger: LoadLedger,
    on_fetched: Callable[[dict[str, Any], str, int], None],
    session: dict[str, Any],
    endpoint: str,
    rows: int,
) -> None:
    """A session's endpoint is in the load package: the ledger (saved with the package) and the progress."""
    with _BOOKKEEPING:
        ledger.mark(session, endpoint)
    on_fetched(session, endpoint, rows)


@dlt.source(name="openf1", max_table_nesting=0, root_key=False)
def openf1_source(
    client: OpenF1Client,
    meetings: Sequence[dict[str, Any]],
    sessions: Sequence[dict[str, Any]],
    endpoints: Sequence[str],
    ledger: LoadLedger,
    wanted: Callable[[dict[str, Any], str], bool],
    on_fetched: Callable[[dict[str, Any], str, int], None] = lambda session, endpoint, rows: None,
    telemetry_window: timedelta | None = timedelta(minutes=10),
    load_parents: bool = True,
    dropped: Counter[str] | None = None,
    *,
    scratch: Path,
) -> Iterator[DltResource]:
    """OpenF1 for the given meetings and sessions; per-session ``endpoints`` resolve from the sessions rows.

    ``load_parents=False`` still pipes the sessions into the children but loads neither parent table (the
    pipeline loads parents once per run, then children session by session). ``scratch``: a folder on the
    pipeline's file system for the Parquet files dlt imports, kept until the run ends.
    """
    dropped = Counter() if dropped is None else dropped
    yield parent_resource("meetings", meetings, dropped, selected=load_parents)
    sessions_resource = parent_resource("sessions", sessions, dropped, selected=load_parents)
    yield sessions_resource
    workers = telemetry.SharedWorkers(users=sum(catalogue.get(name).telemetry for name in endpoints))
    for name in endpoints:
        endpoint = catalogue.get(name)
        if not endpoint.per_session:
            continue
        if endpoint.telemetry:
            yield telemetry_resource(
                client, endpoint, sessions, ledger, wanted, on_fetched, telemetry_window, dropped, scratch, workers
            )
            continue
        body = endpoint_transformer(client, endpoint, ledger, wanted, on_fetched, dropped, scratch)
        yield dlt.transformer(body, data_from=sessions_resource, **_resource_hints(endpoint))
