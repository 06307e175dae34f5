"""Telemetry (car_data, location): fetched in bulk, parsed by DuckDB into Arrow tables.

OpenF1 aborts queries that run over a few seconds, so from OpenF1 itself telemetry comes per driver in
ten-minute windows; a local replay server answers a whole session in one request. Bodies are parsed by
DuckDB's JSON reader straight into Arrow (never Python dicts), and dlt loads the Arrow tables through its
Parquet path.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

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


def parse(connection: duckdb.DuckDBPyConnection, body: bytes, endpoint: Endpoint, scratch: Path) -> pa.Table:
    """A JSON array body as an Arrow table with the catalogue's column types (UTC timestamps)."""
    path = scratch / "body.json"
    path.write_bytes(body)
    columns = list(endpoint.columns)
    relation = connection.sql(
        f"select {', '.join(columns)} from read_json('{path}', format='array', columns={_columns_sql(endpoint)})"
    )
    table = relation.fetch_arrow_table()
    # Key columns are NOT NULL in dlt's schema; say so in Arrow's too, so the two schemas agree.
    keys = set(endpoint.primary_key)
    schema = pa.schema([f.with_nullable(f.name not in keys) for f in table.schema])
    return table.cast(schema)


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


def fetch_session(
    client: OpenF1Client,
    endpoint: Endpoint,
    session_key: int,
    drivers: Sequence[int | None],
    start: datetime,
    end: datetime,
    window: timedelta | None,
) -> Iterator[pa.Table]:
    with tempfile.TemporaryDirectory(prefix="openf1-telemetry-") as scratch:
        connection = duckdb.connect()
        connection.execute("set timezone = 'UTC'")
        try:
            for driver in drivers:
                for params in _requests(session_key, driver, start, end, window):
                    body = client.get_raw(endpoint.name, params)
                    if body.strip() == b"[]":
                        continue
                    yield parse(connection, body, endpoint, Path(scratch))
        finally:
            connection.close()
