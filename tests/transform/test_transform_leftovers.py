"""A dbt run killed mid-swap (kill -9, power) leaves ``<model>__dbt_backup`` or ``<model>__dbt_tmp`` beside the model.
Readers never see them (make publish copies the manifest's models only), and the next build drops them first and
says so in one line (macros/drop_build_leftovers.sql, an on-run-start hook)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import duckdb
import pytest

from tests.conftest import ROOT, published_paths, run_group

WAREHOUSE = "warehouse/test/transform-leftovers.duckdb"
TARGET = ROOT / "target" / "warehouse_test_transform-leftovers"
SESSION = "10301"  # the sample's first session: a small load
LEFTOVERS = ("marts.fct_weather__dbt_backup", "staging.stg_openf1__laps__dbt_tmp")


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return run_group(["make", *args, f"WAREHOUSE={WAREHOUSE}"], timeout=1200)


def leave_leftovers() -> None:
    """What a build killed between dbt's rename and its drop leaves: a backup table, a temporary view."""
    with duckdb.connect(str(ROOT / WAREHOUSE)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("create schema if not exists staging")
        connection.execute(f"create or replace table {LEFTOVERS[0]} as select 1 as half_built")
        connection.execute(f"create or replace view {LEFTOVERS[1]} as select 1 as half_built")


def relations(path: str, like: str) -> list[str]:
    with duckdb.connect(str(ROOT / path), read_only=True) as connection:
        rows = connection.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where table_name like ? "
            "union all select schema_name || '.' || view_name from duckdb_views() where view_name like ?",
            [like, like],
        ).fetchall()
    return sorted(row[0] for row in rows)


@pytest.fixture(scope="module")
def loaded() -> Iterator[None]:
    """One session's laps loaded into a scratch warehouse; removed after, with its dbt target and published copy."""
    warehouse = ROOT / WAREHOUSE
    published, parquet = published_paths(warehouse)
    warehouse.unlink(missing_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)
    done = make("load", f"SESSION={SESSION}", "ENDPOINTS=laps", "TELEMETRY=0")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(TARGET, ignore_errors=True)
    published.unlink(missing_ok=True)
    for leftover in published.parent.glob(f"{parquet.name}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


@pytest.mark.slow
def test_the_next_build_drops_what_an_interrupted_one_left_and_says_so(loaded: None) -> None:
    leave_leftovers()
    assert relations(WAREHOUSE, "%__dbt_%") == sorted(LEFTOVERS)
    done = make("transform")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    said = [line for line in done.stdout.splitlines() if line.startswith("cleanup:")]
    assert said == [f"cleanup: dropped what an interrupted dbt run left behind: {', '.join(sorted(LEFTOVERS))}"]
    assert relations(WAREHOUSE, "%__dbt_%") == []


@pytest.mark.slow
def test_publish_never_copies_what_an_interrupted_build_left(loaded: None) -> None:
    if not (TARGET / "build_results.json").is_file():
        built = make("transform")
        assert built.returncode == 0, built.stdout[-3000:]
    leave_leftovers()  # killed after the passing build: the leftovers sit in marts and staging
    done = make("publish")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    published, _ = published_paths(ROOT / WAREHOUSE)
    assert relations(str(published.relative_to(ROOT)), "%__dbt_%") == []
    assert relations(str(published.relative_to(ROOT)), "fct_weather") == ["marts.fct_weather"]
