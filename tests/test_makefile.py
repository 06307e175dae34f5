"""The Makefile's choices, read from ``make -n`` (what it would run) and ``make where``: which dbt resources a
build runs, and what ``make build DESTINATION=bigquery`` does with the DuckDB-only steps."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT


def make(*args: str, **env: str) -> str:
    done = subprocess.run(
        ["make", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def dbt_build_lines(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if "/dbt build " in line]


def test_build_leaves_unit_tests_to_make_test() -> None:
    (build,) = dbt_build_lines(make("-n", "build"))
    assert "--target dev" in build and "--exclude-resource-type unit_test" in build
    (with_units,) = dbt_build_lines(make("-n", "build", "UNIT_TESTS=1"))
    assert "unit_test" not in with_units
    (test_dbt,) = dbt_build_lines(make("-n", "test-dbt"))
    assert "unit_test" not in test_dbt


def test_build_on_bigquery_renders_no_report_from_the_local_duckdb_file() -> None:
    plan = make("-n", "build", "DESTINATION=bigquery")
    (build,) = dbt_build_lines(plan)
    assert "--target bigquery" in build
    assert "--destination bigquery" in plan
    assert "reports.render" not in plan
    assert "Reports: not rendered" in plan
    assert "reports.render" in make("-n", "build")


def test_where_names_the_warehouse_built() -> None:
    bigquery = make("where", "DESTINATION=bigquery", BIGQUERY_PROJECT="my-project")
    assert "BigQuery project my-project" in bigquery
    assert ".duckdb" not in bigquery and "make query SQL" not in bigquery
    duckdb = make("where", "WAREHOUSE=warehouse/other.duckdb")
    assert "Warehouse: warehouse/other.duckdb" in duckdb and "make query SQL" in duckdb
