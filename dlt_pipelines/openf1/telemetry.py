"""Telemetry (car_data, location): fetched in bulk, parsed by DuckDB into Parquet files dlt imports as they are.

OpenF1 aborts queries that run over a few seconds, so from OpenF1 itself telemetry comes per driver in
ten-minute windows; a local replay server answers a whole session in one request. A body (a JSON array, up to
~100 MB) never becomes Python objects: DuckDB parses it into Arrow with the catalogue's column types, and the
Parquet file written from that (with dlt's schema, so dlt need not rewrite it) is imported into the load
package as it is, to be loaded by the destination's own bulk loader.
"""

from __future__ import annotations

import functools
import itertools
import os
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
from openf1_api import Filter, OpenF1Client, telemetry_queries

WORKERS = 3  # fetch + parse threads shared by car_data and location (one may wait on the server)
AHEAD = 6  # requests of one endpoint queued or in flight (most sessions have no telemetry: quick 404s)
_DUCKDB_TYPES = {"bigint": "BIGINT", "double": "DOUBLE", "text": "VARCHAR", "timestamp": "TIMESTAMPTZ"}


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


Params = list[Filter]  # one request's query


def worker_count() -> int:
    """The telemetry workers: ``OPENF1_TELEMETRY_WORKERS`` when set (a whole number, 1 or more), else WORKERS."""
    text = os.environ.get("OPENF1_TELEMETRY_WORKERS", "").strip() or str(WORKERS)
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"OPENF1_TELEMETRY_WORKERS={text!r}: set a whole number of threads, 1 or more (default {WORKERS})"
        )
    return int(text)


class SharedWorkers:
    """The threads the telemetry resources of one dlt run share (fetch + parse of one answer per task): when
    one endpoint is done early, the other's answers take every worker, so both cores stay busy to the end.
    They parse in one in-memory DuckDB database, each task on a cursor of its own (a database per answer cost
    ~15 ms of start-up each: seconds for a season's hundreds of answers). Shut down when the last of its
    ``users`` is done with it."""

    def __init__(self, users: int, size: int | None = None) -> None:
        self.pool = ThreadPoolExecutor(max_workers=size or worker_count(), thread_name_prefix="telemetry")
        self.database = duckdb.connect()
        self._users = users
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._users == 0
        if last:
            self.pool.shutdown(wait=False, cancel_futures=True)  # a failed run does not wait for queued requests
            self.database.close()  # a task still running keeps the database alive through its cursor


def fetch_sessions(
    client: OpenF1Client,
    endpoint: Endpoint,
    plan: Iterable[tuple[dict[str, Any], list[Params]]],
    scratch: Path,
    dropped: dict[str, int],
    lock: threading.Lock,
    on_session: Callable[[dict[str, Any], int], None],
    workers: SharedWorkers,
    ahead: int = AHEAD,
) -> Iterator[object]:
    """dlt file-import items for every request of ``plan`` ((session, its requests), in order), calling
    ``on_session(session, rows)`` once a session's answers are all in.

    Each request is fetched and parsed by ``workers`` with up to ``ahead`` of this endpoint's requests in
    flight, so the server prepares answers while others are parsed. The Parquet files go to ``scratch``, which
    must outlive the dlt run (dlt links them into the load package when it takes the item); rows left out for a
    null key are added to ``dropped`` under ``lock``.
    """
    load_id = dlt.current.load_package_state()["load_id"]
    steps = _steps(plan)
    numbers = itertools.count(1)
    pending: deque[tuple[dict[str, Any], bool, Future[tuple[Path, int, int]]]] = deque()

    def submit_next() -> bool:
        step = next(steps, None)
        if step is None:
            return False
        session, params, last = step
        if params is None:  # a session with nothing to ask for (no drivers listed)
            done: Future[tuple[Path, int, int]] = Future()
            done.set_result((scratch, 0, 0))
        else:
            target = scratch / f"{endpoint.name}-{session['session_key']}-{next(numbers)}.parquet"
            done = workers.pool.submit(_fetch_to_parquet, client, endpoint, params, target, load_id, workers.database)
        pending.append((session, last, done))
        return True

    try:
        while len(pending) < ahead and submit_next():
            pass
        rows = 0
        while pending:
            session, last, done = pending.popleft()
            target, written, left_out = done.result()
            submit_next()
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
        for *_, done in pending:
            done.cancel()
        workers.release()


def _fetch_to_parquet(
    client: OpenF1Client,
    endpoint: Endpoint,
    params: Params,
    target: Path,
    load_id: str,
    database: duckdb.DuckDBPyConnection,
) -> tuple[Path, int, int]:
    """One request's answer as a Parquet file at ``target``: (target, rows written, rows left out)."""
    body = client.get_raw(endpoint.name, params)
    if body.strip() == b"[]":
        return target, 0, 0
    with database.cursor() as connection:
        connection.execute("set timezone = 'UTC'")
        connection.execute("set enable_progress_bar = false")
        written, left_out = to_parquet(connection, body, endpoint, target, load_id)
    return target, written, left_out


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
    return [params for driver in drivers for params in telemetry_queries(session_key, driver, start, end, window)]
