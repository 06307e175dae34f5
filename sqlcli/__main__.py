"""python -m sqlcli: run SQL read-only on the published copy and print every column of its result.

The Makefile's ``make query`` passes its variables through the environment, never through a shell command
line, so the SQL arrives exactly as typed (several lines, single and double quotes, dollar signs):
OPENF1_SQL or OPENF1_SQL_FILE, OPENF1_SQL_FORMAT, OPENF1_SQL_LIMIT and OPENF1_PUBLISHED. The options below
override them. Exit status: 0 done, 1 the SQL failed (or there is nothing published to read), 2 usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from sqlcli.database import DEFAULT_PUBLISHED, NotPublished, one_line, open_published, run, tables
from sqlcli.render import FORMATS, show
from sqlcli.statement import UnknownTable, UsageError, has_jinja, read_sql, resolve_refs

# a table for people stops after this many rows unless LIMIT says otherwise; CSV, JSON and Markdown are for
# other programs and get every row
TABLE_LIMIT = 100


def parse_limit(value: str | None, output_format: str) -> int | None:
    """LIMIT: a row count, 0 or ``all`` for every row; unset: TABLE_LIMIT for a table, else every row."""
    if value is None or value.strip() == "":
        return TABLE_LIMIT if output_format == "table" else None
    if value.strip().lower() in ("0", "all", "none"):
        return None
    if not value.strip().isdigit():
        raise UsageError(f"LIMIT={value}: give a number of rows, or 0 for all of them")
    return int(value)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    environ = os.environ
    parser = argparse.ArgumentParser(prog="python -m sqlcli", description=__doc__.splitlines()[0])
    parser.add_argument("--sql", default=environ.get("OPENF1_SQL"), help="the SQL (env OPENF1_SQL)")
    parser.add_argument("--file", default=environ.get("OPENF1_SQL_FILE"), help="a .sql file (env OPENF1_SQL_FILE)")
    parser.add_argument(
        "--format", default=environ.get("OPENF1_SQL_FORMAT") or "table", help="table | csv | json | markdown"
    )
    parser.add_argument("--limit", default=environ.get("OPENF1_SQL_LIMIT"), help="rows to print (0: all)")
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(environ.get("OPENF1_PUBLISHED") or DEFAULT_PUBLISHED),
        help="the published copy (env OPENF1_PUBLISHED)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    connection = None
    try:
        output_format = args.format.strip().lower()
        if output_format not in FORMATS:
            raise UsageError(f"FORMAT={args.format}: give one of {', '.join(FORMATS)}")
        limit = parse_limit(args.limit, output_format)
        sql = read_sql(args.sql, args.file)
        connection = open_published(args.database)
        if has_jinja(sql):  # an analysis from analyses/, as dbt writes it
            sql = resolve_refs(sql, tables(connection))
        result = run(connection, sql, limit)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (NotPublished, UnknownTable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        print(f"error: {one_line(error, connection)}", file=sys.stderr)
        return 1
    output = FORMATS[output_format](result)
    cut = result.total_rows - len(result.rows)
    if output_format == "table":
        output += footer(len(result.rows), cut) + "\n"
    elif cut:
        shown = f"{len(result.rows):,} of {result.total_rows:,} rows"
        print(f"note: {shown} written (LIMIT=0 writes all)", file=sys.stderr)
    try:
        show(output)
    except BrokenPipeError:  # | head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def footer(shown: int, cut: int) -> str:
    rows = f"({shown:,} row{'' if shown == 1 else 's'})"
    if not cut:
        return rows
    total = shown + cut
    return f"({total:,} rows, the first {shown:,} shown: LIMIT=0 shows all, FORMAT=csv writes all for other tools)"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
