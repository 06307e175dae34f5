"""The board's marts for readers: a small copy of every model tagged ``board``, swapped in with one rename.

A live cycle cannot afford the full publish (every public model, Parquet, row counts: seconds on a season), and
must not replace the published copy of the last passing build with half-tested live tables. So the board's marts
go to their own file beside it, ``<dir>/published/<name>-live.duckdb``, written to a temporary file and renamed
into place: a reader holding the previous copy keeps reading it, the next one opens the new.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from serving.publish import STORAGE_VERSION, PublicTable, PublishError, sql_string

BOARD_TAG = "board"


def live_copy_path(published: Path) -> Path:
    """``warehouse/published/openf1.duckdb`` -> ``warehouse/published/openf1-live.duckdb``."""
    return published.with_name(f"{published.stem}-live{published.suffix}")


def board_tables(manifest: Path) -> list[PublicTable]:
    """Every model tagged ``board`` in dbt's manifest (the live target's), in (schema, name) order."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    tables = [
        PublicTable(
            schema=node["schema"],
            name=node["alias"],
            description=node.get("description", ""),
            columns={name: column.get("description", "") for name, column in node.get("columns", {}).items()},
        )
        for node in nodes
        if node["resource_type"] == "model" and BOARD_TAG in node.get("tags", [])
    ]
    if not tables:
        raise PublishError(f"no model tagged {BOARD_TAG!r} in {manifest}: the board's marts are missing")
    return sorted(tables, key=lambda table: (table.schema, table.name))


def publish_board(warehouse: Path, tables: list[PublicTable], out: Path) -> None:
    """Copy ``tables`` from the working file into ``out`` (temp file + rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.parent / f".{out.name}.{os.getpid()}.tmp"
    staged.unlink(missing_ok=True)
    # the live run's own dbt and dlt hold the working file open in this process: a connection to the same file
    # shares that database (DuckDB refuses to attach one file twice), so the copy reads through it
    con = duckdb.connect(str(warehouse))
    try:
        (source,) = con.execute("select current_database()").fetchone()
        con.execute(f"attach {sql_string(str(staged))} as pub (storage_version '{STORAGE_VERSION}')")
        con.execute("begin")
        for schema in sorted({table.schema for table in tables}):
            con.execute(f'create schema pub."{schema}"')
        for table in tables:
            name = f'"{table.schema}"."{table.name}"'
            con.execute(f'create table pub.{name} as select * from "{source}".{name}')
            if table.description:
                con.execute(f"comment on table pub.{name} is {sql_string(table.description)}")
        con.execute("commit")
        con.execute("detach pub")
    except BaseException:
        con.close()
        staged.unlink(missing_ok=True)
        Path(f"{staged}.wal").unlink(missing_ok=True)
        raise
    con.close()
    os.replace(staged, out)
