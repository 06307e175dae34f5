"""Telemetry (car_data, location): fetched per driver in time windows, parsed by DuckDB into Arrow tables.

OpenF1 aborts queries that run over a few seconds, so a whole session of one driver is too much for it; ten
minute windows are well inside. Bodies are parsed by DuckDB's JSON reader straight into Arrow (never Python
dicts), and dlt loads the Arrow tables through its Parquet path.
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


def windows(start: datetime, end: datetime, size: timedelta | None) -> list[tuple[datetime, datetime]]:
    """Half-open windows covering [start - 5 min, end + 5 min) (telemetry starts before the session's start)."""
    start, end = start - timedelta(minutes=5), end + timedelta(minutes=5)
    if size is None:
        return [(start, end)]
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


def fetch_session(
    client: OpenF1Client,
    endpoint: Endpoint,
    session_key: int,
    drivers: Sequence[int],
    start: datetime,
    end: datetime,
    window: timedelta | None,
) -> Iterator[pa.Table]:
    with tempfile.TemporaryDirectory(prefix="openf1-telemetry-") as scratch:
        connection = duckdb.connect()
        connection.execute("set timezone = 'UTC'")
        try:
            for driver in drivers:
                for low, high in windows(start, end, window):
                    params = [
                        ("session_key", "=", session_key),
                        ("driver_number", "=", driver),
                        ("date", ">=", low.isoformat()),
                        ("date", "<", high.isoformat()),
                    ]
                    body = client.get_raw(endpoint.name, params)
                    if body.strip() == b"[]":
                        continue
                    yield parse(connection, body, endpoint, Path(scratch))
        finally:
            connection.close()
