"""dlt resources for OpenF1: meetings and sessions as parents, every per-session endpoint as a transformer.

Each per-session table is merged on its natural key *and* on ``session_key`` (dlt's delete-insert merge), so
loading a session again replaces that session's rows: no duplicates, and rows OpenF1 has since withdrawn go.
Telemetry (car_data, location) is fetched per driver in time windows and travels as Arrow tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import dlt
from dlt.sources import DltResource

from dlt_pipelines.openf1 import catalogue, telemetry
from dlt_pipelines.openf1.client import OpenF1Client
from dlt_pipelines.openf1.state import LoadLedger

SESSION_FALLBACK_LENGTH = timedelta(hours=3)


def record_hash(record: dict[str, Any]) -> str:
    """A stable key for records without a natural one: md5 of the record's canonical JSON."""
    canonical = json.dumps({k: v for k, v in record.items() if k != "record_hash"}, sort_keys=True, default=str)
    return hashlib.md5(canonical.encode("utf-8")).hexdigest()


def _resource_hints(endpoint: catalogue.Endpoint) -> dict[str, Any]:
    hints: dict[str, Any] = {
        "name": endpoint.table,
        "write_disposition": "merge",
        "primary_key": list(endpoint.primary_key),
        "columns": {name: dict(spec) for name, spec in endpoint.columns.items()},
    }
    if endpoint.per_session:
        hints["merge_key"] = "session_key"
    return hints


def _has_key(endpoint: catalogue.Endpoint) -> Callable[[dict[str, Any]], bool]:
    """Rows with a null key column carry nothing joinable (OpenF1 emits some, e.g. #17): they are dropped."""
    keys = endpoint.primary_key

    def keep(record: dict[str, Any]) -> bool:
        return all(record.get(k) is not None for k in keys)

    return keep


def session_window(session: dict[str, Any]) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(session["date_start"])
    end = datetime.fromisoformat(session["date_end"]) if session.get("date_end") else start + SESSION_FALLBACK_LENGTH
    return start, end


def parent_resource(name: str, rows: Sequence[dict[str, Any]], selected: bool = True) -> DltResource:
    endpoint = catalogue.get(name)
    resource = dlt.resource(list(rows), **_resource_hints(endpoint), selected=selected)
    return resource.add_filter(_has_key(endpoint))


def endpoint_transformer(
    client: OpenF1Client,
    endpoint: catalogue.Endpoint,
    ledger: LoadLedger,
    wanted: Callable[[dict[str, Any], str], bool],
    on_fetched: Callable[[dict[str, Any], str, int], None],
    telemetry_window: timedelta | None,
) -> Callable[[dict[str, Any]], Iterator[Any]]:
    """A transformer body fetching ``endpoint`` for each session piped into it."""

    def fetch(session: dict[str, Any]) -> Iterator[Any]:
        if not wanted(session, endpoint.name):
            return
        session_key = session["session_key"]
        rows = 0
        if endpoint.telemetry:
            start, end = session_window(session)
            drivers = sorted(
                {
                    d["driver_number"]
                    for d in client.get("drivers", {"session_key": session_key})
                    if d.get("driver_number") is not None
                }
            )
            for table in telemetry.fetch_session(client, endpoint, session_key, drivers, start, end, telemetry_window):
                rows += table.num_rows
                yield table
        else:
            records = client.get(endpoint.name, {"session_key": session_key})
            if endpoint.hashed_key:
                for record in records:
                    record["record_hash"] = record_hash(record)
            rows = len(records)
            yield records
        ledger.mark(session, endpoint.name)
        on_fetched(session, endpoint.name, rows)

    return fetch


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
) -> Iterator[DltResource]:
    """OpenF1 for the given meetings and sessions; per-session ``endpoints`` resolve from the sessions rows.

    ``load_parents=False`` still pipes the sessions into the children but loads neither parent table (the
    pipeline loads parents once per run, then children session by session).
    """
    yield parent_resource("meetings", meetings, selected=load_parents)
    sessions_resource = parent_resource("sessions", sessions, selected=load_parents)
    yield sessions_resource
    for name in endpoints:
        endpoint = catalogue.get(name)
        if not endpoint.per_session:
            continue
        body = endpoint_transformer(client, endpoint, ledger, wanted, on_fetched, telemetry_window)
        transformer = dlt.transformer(body, data_from=sessions_resource, **_resource_hints(endpoint))
        if not endpoint.telemetry:
            transformer = transformer.add_filter(_has_key(endpoint))
        yield transformer
