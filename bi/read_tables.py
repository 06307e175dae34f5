"""Read every table of a published copy's public schemas with whichever DuckDB is first on the path.

``python -m bi.read_tables PUBLISHED.duckdb`` prints one JSON line: the DuckDB version and, per table, its row
count and a digest of every value (so every column of every row is read, not just the row count), and when
the copy was published. With
``--hold`` it keeps the connection open, waits for a line on stdin, reads again through the same connection and
prints a second line: a BI tool holding the copy open across a build. ``bi.check`` runs it under DuckDB 1.4
(``bi.environment.duckdb14_environment``); the tests run it under 1.5 too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import duckdb

SCHEMAS = ("marts", "features")
Run = Callable[[str], Sequence[Sequence[Any]]]


def table_digests(run: Run) -> dict[str, list[int]]:
    """``{"schema.table": [rows, digest]}`` for every table of SCHEMAS; ``run`` executes SQL and returns rows.

    The digest xors DuckDB's hash of each whole row: equal digests mean the same rows, whatever their order.
    """
    listed = ", ".join(f"'{schema}'" for schema in SCHEMAS)
    tables = run(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({listed}) and table_type = 'BASE TABLE' order by all"
    )
    digests = {}
    for schema, table in tables:
        rows, digest = run(
            f'select count(*), coalesce(bit_xor(hash(published_row)), 0) from "{schema}"."{table}" as published_row'
        )[0]
        digests[f"{schema}.{table}"] = [int(rows), int(digest)]
    return digests


def published_at(run: Run) -> str | None:
    """When the copy was published (its ``main.published_build`` table, which make publish writes), or None."""
    present = run("select count(*) from duckdb_tables() where schema_name = 'main' and table_name = 'published_build'")
    if not present[0][0]:  # a copy without it: the digests still tell builds apart
        return None
    # as text: fetching a timestamptz into Python needs pytz, which no BI tool's environment is promised
    return run("select published_at::varchar from main.published_build")[0][0]


def read(run: Run) -> dict[str, Any]:
    """What one reader sees: the DuckDB version, the publish time and every table's digest."""
    return {"duckdb": duckdb.__version__, "published_at": published_at(run), "tables": table_digests(run)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bi.read_tables", description=__doc__.splitlines()[0])
    parser.add_argument("published", help="the published DuckDB file")
    parser.add_argument("--hold", action="store_true", help="read, wait for a line on stdin, read again")
    args = parser.parse_args(argv)
    try:
        connection = duckdb.connect(args.published, read_only=True)

        def run(sql: str) -> list[tuple[Any, ...]]:
            return connection.execute(sql).fetchall()

        print(json.dumps(read(run)), flush=True)
        if args.hold:
            sys.stdin.readline()
            print(json.dumps(read(run)), flush=True)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        print(f"error: DuckDB {duckdb.__version__} cannot read {args.published}: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
