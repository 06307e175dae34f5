"""The published copy, opened read-only: run one piece of SQL, turn DuckDB's errors into one line."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from sqlcli.statement import table_list

# the Makefile's defaults, for a run outside make (it exports OPENF1_WAREHOUSE and OPENF1_PUBLISHED)
DEFAULT_WAREHOUSE = "warehouse/openf1.duckdb"
DEFAULT_PUBLISHED = "warehouse/published/openf1.duckdb"
# the lines of DuckDB's message worth keeping after its first: they name what was meant
HINT_PREFIXES = ("Did you mean", "Candidate bindings")
FETCH_CHUNK = 10_000
# "Table with name x does not exist!", "Schema with name x does not exist!": the table list helps
UNKNOWN_RELATION = re.compile(r"\b(Table|Schema) with name .* does not exist")


class NotPublished(RuntimeError):
    """There is no published copy to read yet; the message names the command that writes it."""


@dataclass(frozen=True)
class Result:
    """Column names and DuckDB type names, the rows kept, and how many rows the SQL returned in all."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    total_rows: int


def open_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published copy, or NotPublished saying how to make one."""
    if not path.is_file():
        warehouse = os.environ.get("OPENF1_WAREHOUSE", DEFAULT_WAREHOUSE)
        build = "make build" if warehouse == DEFAULT_WAREHOUSE else f"make build WAREHOUSE={warehouse}"
        raise NotPublished(
            f"no published copy at {path} yet: run {build} (or make publish after a passing make transform)"
        )
    return duckdb.connect(str(path), read_only=True)


def tables(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every table and view of the copy: name -> schema."""
    rows = connection.execute(
        "select table_name, table_schema from information_schema.tables"
        " where table_catalog = current_database() and table_schema not in ('information_schema', 'pg_catalog')"
        " order by table_schema, table_name"
    ).fetchall()
    return dict(rows)


def run(connection: duckdb.DuckDBPyConnection, sql: str, limit: int | None) -> Result:
    """Run ``sql`` (several statements: the last one's rows); keep at most ``limit`` rows, count them all."""
    cursor = connection.execute(sql)
    description = cursor.description or []
    columns = [column[0] for column in description]
    types = [str(column[1]) for column in description]
    if not description:
        return Result(columns, types, [], 0)
    rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
    total = len(rows)
    while limit is not None and (more := cursor.fetchmany(FETCH_CHUNK)):
        total += len(more)
    return Result(columns, types, rows, total)


def one_line(error: duckdb.Error, connection: duckdb.DuckDBPyConnection | None) -> str:
    """DuckDB's message in one line: its first line, the 'did you mean' hints, and for an unknown table the
    tables there are."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    parts = lines[:1] + [line for line in lines[1:] if line.startswith(HINT_PREFIXES)]
    if connection is not None and isinstance(error, duckdb.CatalogException) and UNKNOWN_RELATION.search(lines[0]):
        with contextlib.suppress(duckdb.Error):
            parts.append(f"tables: {table_list(tables(connection))}")
    return " ".join(parts) if parts else type(error).__name__
