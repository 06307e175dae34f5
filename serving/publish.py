"""Publish the public schemas of the last passing build into the copy readers open.

The working file (``WAREHOUSE``) belongs to the build. Readers — BI tools, ``make query`` / ``sql`` / ``reports`` /
``features`` / ``metrics`` — open the published copy instead:

- ``<dir>/published/<name>.duckdb``: every model of the ``marts`` and ``features`` schemas as a table, with dbt's
  descriptions as comments, written in DuckDB storage version v1.4.0 (DuckDB 1.4, 1.5 and 2.x read it; our
  DuckDB 2.0 writes a newer one by default that 1.x tools refuse). It is written to a temporary file and swapped
  in with one rename: a reader holding the old copy keeps reading it, new connections see the new build.
- ``<dir>/published/<name>/``: the same tables as Parquet, ``<schema>/<table>.parquet``, with ``manifest.json``
  (tables, columns and types, rows, build time, git commit). The folder is a symlink swapped in one rename too;
  the previous build's folder is kept until the next publish, for readers still in it.

Only a build whose dbt run passed is published: ``make transform`` records its results and manifest as
``build_results.json`` and ``build_manifest.json`` in dbt's target folder only when every model and test passed.
The copy also holds ``main.published_build`` (when, which build, which commit) and ``main.warehouse_row_counts``
(rows of every table and view of the working file, for the data-quality page).

    python -m serving.publish --warehouse warehouse/openf1.duckdb --dbt-target target/warehouse_openf1 \
        --out warehouse/published/openf1.duckdb --parquet warehouse/published/openf1
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from serving.holder import lock_holder_message

PUBLIC_SCHEMAS = ("marts", "features")
STORAGE_VERSION = "v1.4.0"
BUILD_RESULTS = "build_results.json"
# dbt's manifest as that build left it (make transform copies it): later commands (make docs, a parse, the next
# build) rewrite manifest.json, and the published tables are the passing build's, not theirs
BUILD_MANIFEST = "build_manifest.json"
# the rest of the warehouse, counted at publish for the data-quality page (the copy holds marts and features only)
COUNTED_SCHEMAS = ("raw_openf1", "staging", "intermediate", "marts", "features")
PASSING = {"success", "pass", "warn", "no-op"}


class PublishError(Exception):
    """A reason not to publish, in one line with the fix."""


@dataclass(frozen=True)
class PublicTable:
    """A model of the public interface: where it lives and what dbt says it is."""

    schema: str
    name: str
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)


def passing_build(dbt_target: Path) -> dict:
    """The results of the last dbt build when everything passed; else PublishError saying what to do."""
    path = dbt_target / BUILD_RESULTS
    if not path.is_file():
        raise PublishError(
            f"nothing to publish: no passing dbt build recorded in {dbt_target} (the last make transform failed "
            "or never ran); run make build, and the previous published copy stays as it is until one passes"
        )
    try:
        results = json.loads(path.read_text())
        if not (results["metadata"]["invocation_id"] and results["metadata"]["generated_at"]):
            raise KeyError("metadata")
    except (ValueError, KeyError) as error:
        raise PublishError(f"{path} is not dbt's run results ({error!r}): run make build") from None
    failed = [result["unique_id"] for result in results.get("results", []) if result.get("status") not in PASSING]
    if results.get("args", {}).get("which") != "build" or failed:
        raise PublishError(f"nothing to publish: {path} is not a passing build ({len(failed)} failed); run make build")
    return results


def public_tables(dbt_target: Path) -> list[PublicTable]:
    """Every model dbt builds into the public schemas, from its manifest, in (schema, name) order."""
    path = dbt_target / BUILD_MANIFEST
    if not path.is_file():
        raise PublishError(f"no {BUILD_MANIFEST} (dbt's manifest of the passing build) in {dbt_target}: run make build")
    nodes = json.loads(path.read_text())["nodes"].values()
    tables = [
        PublicTable(
            schema=node["schema"],
            name=node["alias"],
            description=node.get("description", ""),
            columns={name: column.get("description", "") for name, column in node.get("columns", {}).items()},
        )
        for node in nodes
        if node["resource_type"] == "model"
        and node["schema"] in PUBLIC_SCHEMAS
        and node["config"].get("materialized") != "ephemeral"
    ]
    if not tables:
        raise PublishError(f"the dbt manifest in {dbt_target} has no model in {', '.join(PUBLIC_SCHEMAS)}")
    return sorted(tables, key=lambda table: (table.schema, table.name))


def git_commit(root: Path) -> str:
    """The checked-out commit, with ``-dirty`` when files differ from it; ``unknown`` outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def sql_string(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def remove_leftovers(folder: Path, pattern: str, keep: set[Path]) -> None:
    """Delete what an interrupted or earlier publish left in ``folder``, except ``keep``: clean up first."""
    for path in folder.glob(pattern):
        if path in keep:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def published_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[dict[str, str]]]:
    """Every published table's columns, in order, with their DuckDB types (one catalog query)."""
    rows = con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns()"
        " where database_name = 'pub' order by schema_name, table_name, column_index"
    ).fetchall()
    columns: dict[tuple[str, str], list[dict[str, str]]] = {}
    for schema, table, name, data_type in rows:
        columns.setdefault((schema, table), []).append({"name": name, "type": data_type})
    return columns


def copy_tables(con: duckdb.DuckDBPyConnection, tables: list[PublicTable]) -> dict[tuple[str, str], list[dict]]:
    """Create every public table in ``pub`` from ``src``, with dbt's descriptions as comments; returns columns."""
    for schema in sorted({table.schema for table in tables}):
        con.execute(f'create schema pub."{schema}"')
    for table in tables:
        con.execute(
            f'create table pub."{table.schema}"."{table.name}" as select * from src."{table.schema}"."{table.name}"'
        )
    columns = published_columns(con)
    for table in tables:
        name = f'pub."{table.schema}"."{table.name}"'
        if table.description:
            con.execute(f"comment on table {name} is {sql_string(table.description)}")
        existing = {column["name"] for column in columns[(table.schema, table.name)]}
        for column, description in table.columns.items():
            if description and column in existing:
                con.execute(f'comment on column {name}."{column}" is {sql_string(description)}')
    return columns


def write_parquet(
    con: duckdb.DuckDBPyConnection,
    tables: list[PublicTable],
    columns: dict[tuple[str, str], list[dict]],
    folder: Path,
) -> list[dict]:
    """Each published table as ``folder/<schema>/<table>.parquet``; returns the manifest's table entries."""
    entries = []
    for table in tables:
        relative = Path(table.schema) / f"{table.name}.parquet"
        (folder / table.schema).mkdir(parents=True, exist_ok=True)
        con.execute(
            f'copy pub."{table.schema}"."{table.name}" to {sql_string(str(folder / relative))}'
            " (format parquet, compression zstd)"
        )
        rows = con.execute(f'select count(*) from pub."{table.schema}"."{table.name}"').fetchone()[0]
        entries.append(
            {
                "schema": table.schema,
                "table": table.name,
                "file": relative.as_posix(),
                "rows": rows,
                "description": table.description,
                "columns": columns[(table.schema, table.name)],
            }
        )
    return entries


def swap_link(link: Path, target: Path) -> Path | None:
    """Point the symlink ``link`` at ``target`` in one rename; returns what it pointed at before."""
    previous = link.parent / os.readlink(link) if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        # a real folder where the link belongs (made by hand): move it aside once, then swap as usual
        link.rename(link.parent / f".{link.name}.parquet-replaced-{os.getpid()}")
    staged = link.parent / f".{link.name}.link-{os.getpid()}"
    staged.unlink(missing_ok=True)
    staged.symlink_to(target.name)
    os.replace(staged, link)
    return previous


@contextlib.contextmanager
def publishing_lock(out: Path) -> Iterator[None]:
    """One publish of ``out`` at a time: a second waits for the first rather than sweep away its staged files."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.stem}.publish-lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another publish of {out} to finish ...", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def count_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """(schema, relation, table/view, rows) of every table and view the working file has in COUNTED_SCHEMAS."""
    schemas = ", ".join(sql_string(schema) for schema in COUNTED_SCHEMAS)
    relations = con.execute(
        f"select schema_name, table_name, 'table' from duckdb_tables() where database_name = 'src'"
        f" and schema_name in ({schemas}) and not starts_with(table_name, '_dlt')"
        f" union all select schema_name, view_name, 'view' from duckdb_views() where database_name = 'src'"
        f" and schema_name in ({schemas}) order by all"
    ).fetchall()
    counted = []
    for schema, name, kind in relations:
        (rows,) = con.execute(f'select count(*) from src."{schema}"."{name}"').fetchone()
        counted.append((schema, name, kind, int(rows)))
    return counted


def publisher_version() -> str:
    """This module's own content: a copy written by other code is written again."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def already_published(warehouse: Path, dbt_target: Path, out: Path, parquet: Path) -> dict | None:
    """The manifest of the published copy when it already holds the last passing build of ``warehouse`` (same dbt
    invocation, same publisher): publishing again would write the same tables. None otherwise."""
    try:
        results = passing_build(dbt_target)
        manifest = json.loads((parquet / "manifest.json").read_text(encoding="utf-8"))
    except (PublishError, OSError, ValueError):
        return None
    same = (
        out.is_file()
        and manifest.get("dbt_build", {}).get("invocation_id") == results["metadata"]["invocation_id"]
        and manifest.get("warehouse") == str(warehouse)
        and manifest.get("publisher") == publisher_version()
    )
    return manifest if same else None


def publish(warehouse: Path, dbt_target: Path, out: Path, parquet: Path) -> dict:
    """Publish the last passing build of ``warehouse``; returns the manifest written beside the Parquet files."""
    if parquet.resolve() == out.resolve():
        raise PublishError(f"the Parquet folder and the published file are both {out}: name the warehouse *.duckdb")
    with publishing_lock(out):
        return publish_locked(warehouse, dbt_target, out, parquet)


def publish_locked(warehouse: Path, dbt_target: Path, out: Path, parquet: Path) -> dict:
    """``publish``, holding the publishing lock."""
    results = passing_build(dbt_target)
    tables = public_tables(dbt_target)
    if not warehouse.is_file():
        raise PublishError(f"no warehouse at {warehouse}: run make build")
    if out.resolve() == warehouse.resolve():
        raise PublishError(f"the published copy cannot be the working file itself ({warehouse})")
    out.parent.mkdir(parents=True, exist_ok=True)
    if parquet.parent.resolve() != out.parent.resolve():
        raise PublishError(f"the Parquet folder {parquet} must sit beside the published file {out}")
    current = parquet.parent / os.readlink(parquet) if parquet.is_symlink() else None
    for pattern in (f".{out.name}.*", f".{parquet.name}.parquet-*", f".{parquet.name}.link-*"):
        remove_leftovers(out.parent, pattern, keep={current} if current else set())

    stamp = datetime.now(UTC)
    staged_file = out.parent / f".{out.name}.{os.getpid()}.tmp"
    staged_folder = parquet.parent / f".{parquet.name}.parquet-{stamp:%Y%m%dT%H%M%S%f}-{os.getpid()}"
    con = duckdb.connect()
    try:
        try:
            con.execute(f"attach {sql_string(str(warehouse))} as src (read_only)")
        except duckdb.IOException as error:
            first_line = str(error).splitlines()[0]
            reason = lock_holder_message(warehouse, str(error)) or f"cannot open {warehouse}: {first_line}"
            raise PublishError(reason) from None
        con.execute(f"attach {sql_string(str(staged_file))} as pub (storage_version '{STORAGE_VERSION}')")
        present = set(
            con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'src'"
                " union all select schema_name, view_name from duckdb_views() where database_name = 'src'"
            ).fetchall()
        )
        missing = [f"{table.schema}.{table.name}" for table in tables if (table.schema, table.name) not in present]
        if missing:
            named = ", ".join(missing[:3])
            raise PublishError(f"{warehouse} lacks {len(missing)} public models ({named}): run make build")
        # one transaction: a commit per table and comment would sync the file hundreds of times
        con.execute("begin")
        columns = copy_tables(con, tables)
        manifest = {
            "published_at": stamp.isoformat(timespec="seconds"),
            "dbt_build": {
                "invocation_id": results["metadata"]["invocation_id"],
                "finished_at": results["metadata"]["generated_at"],
            },
            "git_commit": git_commit(Path(__file__).resolve().parent.parent),
            "publisher": publisher_version(),
            "warehouse": str(warehouse),
            "duckdb_file": out.name,
            "duckdb_storage_version": STORAGE_VERSION,
            "tables": write_parquet(con, tables, columns, staged_folder),
        }
        con.execute(
            "create table pub.main.warehouse_row_counts (schema_name varchar, relation_name varchar,"
            " relation_kind varchar, row_count bigint)"
        )
        con.executemany("insert into pub.main.warehouse_row_counts values (?, ?, ?, ?)", count_rows(con))
        con.execute(
            "create table pub.main.published_build as select ?::timestamptz as published_at,"
            " ?::timestamptz as dbt_build_finished_at, ? as dbt_invocation_id, ? as git_commit, ? as source_warehouse",
            [
                stamp,
                manifest["dbt_build"]["finished_at"],
                manifest["dbt_build"]["invocation_id"],
                manifest["git_commit"],
                str(warehouse),
            ],
        )
        con.execute("commit")
        con.execute("detach pub")
    except BaseException:
        con.close()
        staged_file.unlink(missing_ok=True)
        Path(f"{staged_file}.wal").unlink(missing_ok=True)
        shutil.rmtree(staged_folder, ignore_errors=True)
        raise
    con.close()
    (staged_folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(staged_file, out)
    previous = swap_link(parquet, staged_folder)
    # keep the folder readers may still be in (the one just replaced); drop anything older
    keep = {staged_folder} | ({previous} if previous else set())
    remove_leftovers(parquet.parent, f".{parquet.name}.parquet-*", keep=keep)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True, help="the working DuckDB file the build wrote")
    parser.add_argument("--dbt-target", type=Path, required=True, help="dbt's target folder of that build")
    parser.add_argument("--out", type=Path, required=True, help="the published DuckDB file to write")
    parser.add_argument("--parquet", type=Path, required=True, help="the published Parquet folder to write")
    args = parser.parse_args(argv)
    started = time.monotonic()
    current = already_published(args.warehouse, args.dbt_target, args.out, args.parquet)
    if current is not None:
        print(
            f"Publish skipped: {args.out} already holds this build (dbt build of "
            f"{current['dbt_build']['finished_at'][:19]} UTC, published {current['published_at'][:19]})"
        )
        return 0
    print(f"Publishing marts and features to {args.out} (DuckDB 1.4+) and {args.parquet}/ (Parquet) ...", flush=True)
    try:
        manifest = publish(args.warehouse, args.dbt_target, args.out, args.parquet)
    except PublishError as error:
        message = str(error)
        print(message if message.startswith("error:") else f"error: {message}", file=sys.stderr)
        return 1
    rows = sum(table["rows"] for table in manifest["tables"])
    print(
        f"Published {len(manifest['tables'])} tables ({rows:,} rows) in {time.monotonic() - started:.1f} s:"
        f" {args.out}, {args.parquet}/manifest.json"
    )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
