"""Telemetry (car_data, location): fetched in bulk, parsed by DuckDB into Parquet files dlt imports as they are.

OpenF1 aborts queries that run over a few seconds, so from OpenF1 itself telemetry comes per driver in
ten-minute windows; a local replay server answers a whole session in one request. A body (a JSON array, up to
~100 MB) never becomes Python objects: DuckDB parses it into Arrow with the catalogue's column types, and the
Parquet file written from that (with dlt's schema, so dlt need not rewrite it) is imported into the load
package as it is, to be loaded by the destination's own bulk loader.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dlt_pipelines.openf1.arrow import with_key_nullability
from dlt_pipelines.openf1.catalogue import Endpoint
from dlt_pipelines.openf1.client import OpenF1Client

_DUCKDB_TYPES = {"bigint": "BIGINT", "double": "DOUBLE", "text": "VARCHAR", "timestamp": "TIMESTAMPTZ"}


MARGIN_BEFORE = timedelta(minutes=60)  # cars run reconnaissance laps to the grid well before a race starts
MARGIN_AFTER = timedelta(minutes=30)  # and the in-lap after the flag


def windows(start: datetime, end: datetime, size: timedelta) -> list[tuple[datetime, datetime]]:
    """Half-open windows of ``size`` tiling [start - 60 min, end + 30 min) without gaps or overlaps."""
    start, end = start - MARGIN_BEFORE, end + MARGIN_AFTER
    bounds = []
    while start < end:
        bounds.append((start, min(start + size, end)))
        start += size
    return bounds


def _columns_sql(endpoint: Endpoint) -> str:
    pairs = [f"'{name}': '{_DUCKDB_TYPES[spec['data_type']]}'" for name, spec in endpoint.columns.items()]
    return "{" + ", ".join(pairs) + "}"


def to_parquet(
    connection: duckdb.DuckDBPyConnection, body: bytes, endpoint: Endpoint, target: Path, load_id: str
) -> tuple[int, int]:
    """Write the body's records to ``target`` with the catalogue's column types (UTC timestamps), tagged with
    ``load_id``; rows whose key is null are left out. Returns (rows written, rows left out).

    DuckDB reads the array as it came: putting the records one per line first would let it parse in parallel,
    but the split costs more CPU than it saves, and both cores are busy anyway (the other endpoint, the server).
    """
    columns = ", ".join(endpoint.columns)
    source = target.with_suffix(".json")
    quoted = str(source).replace("'", "''")
    try:
        source.write_bytes(body)
        table = connection.sql(
            f"select {columns}, '{load_id}' as _dlt_load_id "
            f"from read_json('{quoted}', format = 'array', columns = {_columns_sql(endpoint)})"
        ).to_arrow_table()
    finally:
        source.unlink(missing_ok=True)
    received = table.num_rows
    if any(table.column(name).null_count for name in endpoint.primary_key):
        keyed = functools.reduce(pc.and_, [pc.is_valid(table.column(name)) for name in endpoint.primary_key])
        table = table.filter(keyed)
    pq.write_table(with_key_nullability(table, endpoint), target, compression="snappy")
    return table.num_rows, received - table.num_rows


def _requests(
    session_key: int, driver: int | None, start: datetime, end: datetime, window: timedelta | None
) -> list[list[tuple[str, str, object]]]:
    """Query parameters: the whole session at once (driver None, no window), else one driver per time window."""
    base: list[tuple[str, str, object]] = [("session_key", "=", session_key)]
    if driver is not None:
        base.append(("driver_number", "=", driver))
    if window is None:
        return [base]
    return [
        [*base, ("date", ">=", low.isoformat()), ("date", "<", high.isoformat())]
        for low, high in windows(start, end, window)
    ]


Params = list[tuple[str, str, object]]


def fetch_sessions(
    client: OpenF1Client,
    endpoint: Endpoint,
    plan: Iterable[tuple[dict[str, Any], list[Params]]],
    scratch: Path,
    dropped: dict[str, int],
    lock: threading.Lock,
    on_session: Callable[[dict[str, Any], int], None],
) -> Iterator[object]:
    """dlt file-import items for every request of ``plan`` ((session, its requests), in order), calling
    ``on_session(session, rows)`` once a session's answers are all in.

    One request is always in flight ahead of the one being parsed (a thread of its own), so the server
    prepares the next answer while this one is parsed: the two ends work side by side instead of in turn.
    The Parquet files go to ``scratch``, which must outlive the dlt run (dlt links them into the load package
    when it takes the item); rows left out for a null key are added to ``dropped`` under ``lock``.
    """
    load_id = dlt.current.load_package_state()["load_id"]
    steps = _steps(plan)
    connection = duckdb.connect()
    connection.execute("set timezone = 'UTC'")
    connection.execute("set enable_progress_bar = false")
    pending: deque[tuple[tuple[dict[str, Any], Params | None, bool], Future[bytes]]] = deque()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"prefetch-{endpoint.name}")

    def ask_next() -> None:
        step = next(steps, None)
        if step is None:
            return
        if step[1] is None:  # a session with nothing to ask for (no drivers listed)
            nothing: Future[bytes] = Future()
            nothing.set_result(b"[]")
            pending.append((step, nothing))
        else:
            pending.append((step, pool.submit(client.get_raw, endpoint.name, step[1])))

    try:
        ask_next()
        rows, number = 0, 0
        while pending:
            (session, _, last), answer = pending.popleft()
            body = answer.result()
            del answer  # the future would hold the body until the next answer
            ask_next()
            if body.strip() != b"[]":
                number += 1
                target = scratch / f"{endpoint.name}-{session['session_key']}-{number}.parquet"
                written, left_out = to_parquet(connection, body, endpoint, target, load_id)
                del body
                if left_out:
                    with lock:
                        dropped[endpoint.name] = dropped.get(endpoint.name, 0) + left_out
                if written:
                    rows += written
                    yield dlt.mark.with_file_import(str(target), "parquet", written)
            if last:
                on_session(session, rows)
                rows = 0
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a failed run does not wait for the request ahead
        connection.close()


def _steps(
    plan: Iterable[tuple[dict[str, Any], list[Params]]],
) -> Iterator[tuple[dict[str, Any], Params | None, bool]]:
    """(session, request, is the session's last) for every request of the plan; (session, None, True) for a
    session without requests, so it is still reported done."""
    for session, requests in plan:
        if not requests:
            yield session, None, True
        for number, params in enumerate(requests, start=1):
            yield session, params, number == len(requests)


def session_requests(
    session_key: int, drivers: Sequence[int | None], start: datetime, end: datetime, window: timedelta | None
) -> list[Params]:
    """Every request for one session: the whole session at once (drivers [None], no window), else one per
    driver and time window."""
    return [params for driver in drivers for params in _requests(session_key, driver, start, end, window)]
