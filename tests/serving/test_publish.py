"""The published copy (``serving.publish``, ``make publish``, the end of ``make build``): it holds exactly the
public interface of the last passing build, swapped in whole, and a failing build publishes nothing.

A reader holding the copy throughout a ``make build`` (it keeps its snapshot, a new reader sees the new build)
is tests/bi/test_bi.py's, with the DuckDB 1.5 a BI tool embeds."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, published_paths, published_scratch, run_group, run_module

# A reader like a BI tool left open on the working file.
HOLD_READ_ONLY = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
sys.stdin.readline()
"""


def public_models(target: Path) -> set[tuple[str, str]]:
    """(schema, table) of every model dbt builds into marts or features, read from dbt's manifest."""
    nodes = json.loads((target / "build_manifest.json").read_text())["nodes"].values()
    return {
        (node["schema"], node["alias"])
        for node in nodes
        if node["resource_type"] == "model" and node["schema"] in ("marts", "features")
    }


def tables_of(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    rows = con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns()"
        " where database_name = ? and schema_name in ('marts', 'features') order by all",
        [database],
    ).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), []).append((column, data_type))
    return tables


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return run_group(["make", *args], timeout=timeout)


@pytest.mark.slow
def test_published_copy_is_the_public_interface_of_the_build(published_sample: tuple[Path, Path, Path]) -> None:
    published, parquet, target = published_sample
    warehouse = published.parent.parent / published.name
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as working (read_only)")
    con.execute(f"attach '{published}' as pub (read_only)")
    working, copy = tables_of(con, "working"), tables_of(con, "pub")
    assert set(copy) == public_models(target)
    for schema, table in copy:
        assert copy[(schema, table)] == working[(schema, table)], f"{schema}.{table}: columns or types differ"
        rows = [con.execute(f"select count(*) from {db}.{schema}.{table}").fetchone()[0] for db in ("working", "pub")]
        assert rows[0] == rows[1], f"{schema}.{table}: {rows[1]} rows published of {rows[0]}"
    # dbt's descriptions travel with the copy, for BI tools that show them
    described = con.execute(
        "select count(*) from duckdb_columns() where database_name = 'pub' and comment is not null"
    ).fetchone()[0]
    assert described > 100
    build = con.execute("select dbt_invocation_id, git_commit from pub.main.published_build").fetchone()
    assert build[0] == json.loads((target / "build_results.json").read_text())["metadata"]["invocation_id"]

    manifest = json.loads((parquet / "manifest.json").read_text())
    assert {(t["schema"], t["table"]) for t in manifest["tables"]} == set(copy)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert manifest["git_commit"].startswith(head) and manifest["git_commit"] == build[1]
    assert manifest["duckdb_storage_version"] == "v1.4.0"
    for entry in manifest["tables"]:
        file = parquet / entry["file"]
        rows = con.execute(f"select count(*) from read_parquet('{file}')").fetchone()[0]
        assert (
            rows
            == entry["rows"]
            == con.execute(f"select count(*) from pub.{entry['schema']}.{entry['table']}").fetchone()[0]
        )
        names = [c[0] for c in con.execute(f"describe select * from read_parquet('{file}')").fetchall()]
        assert names == [c["name"] for c in entry["columns"]]
    # swapped in whole: a symlink to a folder beside it, no temporary file or WAL left behind
    assert parquet.is_symlink() and (parquet.parent / os.readlink(parquet)).parent == parquet.parent
    assert not [p.name for p in published.parent.glob(f".{published.name}*")]
    assert not published.with_name(published.name + ".wal").exists()


def test_publish_refuses_without_a_passing_build(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    out = tmp_path / "published" / "w.duckdb"
    args = ["--warehouse", str(tmp_path / "w.duckdb"), "--dbt-target", str(target), "--out", str(out)]
    args += ["--parquet", str(out.with_suffix(""))]
    never_built = run_module("serving.publish", *args)
    assert never_built.returncode == 1
    assert never_built.stderr.count("\n") == 1 and "no passing dbt build" in never_built.stderr
    failed = {
        "args": {"which": "build"},
        "metadata": {"invocation_id": "x", "generated_at": "2026-01-01T00:00:00Z"},
        "results": [
            {"unique_id": "model.openf1.a", "status": "success"},
            {"unique_id": "test.openf1.b", "status": "fail"},
        ],
    }
    (target / "build_results.json").write_text(json.dumps(failed))
    failing = run_module("serving.publish", *args)
    assert failing.returncode == 1 and "not a passing build (1 failed)" in failing.stderr
    assert not out.exists() and not out.with_suffix("").exists()
    assert not [path.name for path in out.parent.glob(".w.*") if not path.name.endswith("publish-lock")]


@pytest.fixture(scope="module")
def scratch(published_sample: tuple[Path, Path, Path]) -> Iterator[tuple[str, Path, Path]]:
    """A copy of the built sample under another name (WAREHOUSE=…), its first copy published."""
    with published_scratch(published_sample, "publish-scratch") as (name, warehouse):
        yield name, warehouse, published_paths(warehouse)[0]


@pytest.mark.slow
def test_a_failing_build_leaves_the_previous_copy(scratch: tuple[str, Path, Path]) -> None:
    name, warehouse, published = scratch
    parquet = published.with_suffix("")
    before, link = digest(published), os.readlink(parquet)
    con = duckdb.connect(str(warehouse))
    # a session of a meeting that does not exist: the relationships test on stg_openf1__sessions fails
    con.execute(
        "update raw_openf1.sessions set meeting_key = -1"
        " where session_key = (select min(session_key) from raw_openf1.sessions)"
    )
    con.close()
    failed = make("transform", f"WAREHOUSE={name}")
    assert failed.returncode != 0
    refused = make("publish", f"WAREHOUSE={name}")
    assert refused.returncode != 0
    errors = [line for line in refused.stderr.splitlines() if not line.startswith("make")]
    assert len(errors) == 1 and errors[0].startswith("error: nothing to publish"), refused.stderr
    assert digest(published) == before and os.readlink(parquet) == link


def test_a_process_holding_the_working_file_stops_the_build_in_one_line(tmp_path: Path) -> None:
    warehouse = tmp_path / "held.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_ONLY, str(warehouse)], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        for target in ("load", "transform"):  # publish only reads it: readers do not stop it
            done = make(target, f"WAREHOUSE={warehouse}", timeout=120)
            assert done.returncode != 0, target
            errors = [line for line in done.stderr.splitlines() if not line.startswith("make")]
            assert len(errors) == 1, (target, done.stderr)
            assert f"in use by another process (PID {holder.pid}: " in errors[0] and f"kill {holder.pid}" in errors[0]
            assert "HOLD_READ_ONLY" not in errors[0] and "-c" in errors[0], "names the holder's command line"
            assert "dbt build" not in done.stdout, "stops before the build starts"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.slow
def test_the_copy_records_the_row_counts_of_the_whole_warehouse(published_sample: tuple[Path, Path, Path]) -> None:
    """The data-quality page renders from the copy (marts and features only) yet lists every schema's rows."""
    from reports import quality

    published, _, _ = published_sample
    working = duckdb.connect(str(published.parent.parent / published.name), read_only=True)
    recorded = quality.row_counts(duckdb.connect(str(published), read_only=True))
    assert recorded == quality.row_counts(working)
    assert {count.schema for count in recorded} == set(quality.SCHEMAS)
