"""The Makefile's choices, read from ``make -n`` (what it would run) and ``make where``: which dbt resources a
build runs, and what ``make build DESTINATION=bigquery`` does with the DuckDB-only steps."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_group

# a parent make's flags and the project's own variables in the caller's environment would change the plans
_INHERITED = {
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "UNIT_TESTS",
    "DESTINATION",
    "WAREHOUSE",
    "SOURCE",
    "BIGQUERY_PROJECT",
    "REFRESH_RESULTS",
    "RESULTS_WINDOW_DAYS",
    "OPENF1_RESULTS_WINDOW_DAYS",
}


def run_make(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _INHERITED}
    return run_group(["make", *args], timeout=120, env=clean | env)


def make(*args: str, **env: str) -> str:
    done = run_make(*args, **env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def dbt_build_lines(plan: str) -> list[str]:
    """The dbt build step of a plan: python -m transform (which runs dbt build; its options: transform/runner.py)."""
    return [line for line in plan.splitlines() if " -m transform " in line]


def test_build_leaves_unit_tests_to_make_test() -> None:
    (build,) = dbt_build_lines(make("-n", "build"))
    assert "--target dev" in build and "--unit-tests" not in build
    (with_units,) = dbt_build_lines(make("-n", "build", "UNIT_TESTS=1"))
    assert "--unit-tests" in with_units
    (test_dbt,) = dbt_build_lines(make("-n", "test-dbt"))
    assert "--unit-tests" in test_dbt


def test_build_on_bigquery_renders_no_report_from_the_local_duckdb_file() -> None:
    plan = make("-n", "build", "DESTINATION=bigquery")
    (build,) = dbt_build_lines(plan)
    assert "--target bigquery" in build
    assert "--destination bigquery" in plan
    assert "reports.render" not in plan
    assert "Reports: not rendered" in plan
    assert "reports.render" in make("-n", "build")
    # and its dbt artefacts (which the quality page reads) go to a folder of their own
    assert "target/bigquery" in make("-n", "transform", "DESTINATION=bigquery")
    assert "target/bigquery" not in make("-n", "transform")


def test_an_unknown_destination_is_one_line_naming_the_choices() -> None:
    done = run_make("-n", "transform", "DESTINATION=bq")
    assert done.returncode == 2 and not done.stdout
    assert "DESTINATION=bq: give duckdb (the default) or bigquery" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_where_names_the_warehouse_built() -> None:
    bigquery = make("where", "DESTINATION=bigquery", BIGQUERY_PROJECT="my-project")
    assert "BigQuery project my-project" in bigquery
    assert ".duckdb" not in bigquery and "make query SQL" not in bigquery
    duckdb = make("where", "WAREHOUSE=warehouse/other.duckdb")
    assert "Warehouse: warehouse/other.duckdb" in duckdb and "make query SQL" in duckdb


def test_full_refresh_reaches_the_loader_and_dbt() -> None:
    plan = make("-n", "build", "FULL_REFRESH=1")
    (build,) = dbt_build_lines(plan)
    assert "--full-refresh" in build
    assert any("dlt_pipelines.pipeline" in line and "--full-refresh" in line for line in plan.splitlines())
    assert "--full-refresh" not in make("-n", "build")


def loader_lines(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if "dlt_pipelines.pipeline" in line]


def test_refresh_results_reaches_the_loader_and_leaves_dbt_alone() -> None:
    plan = make("-n", "build", "SEASON=2024", "REFRESH_RESULTS=1")
    (load,) = loader_lines(plan)
    assert "--refresh-results" in load and "--season 2024" in load and "--full-refresh" not in load
    (build,) = dbt_build_lines(plan)
    assert "--full-refresh" not in build  # the results marts are tables, rebuilt by every build
    assert "--refresh-results" not in make("-n", "build")


def _variables(help_text: str) -> str:
    return next(line for line in help_text.splitlines() if line.startswith("Variables:"))


def test_help_lists_the_results_variables_and_the_window_in_force() -> None:
    assert "REFRESH_RESULTS" in _variables(make("help")) and "RESULTS_WINDOW_DAYS=7" in _variables(make("help"))
    assert "RESULTS_WINDOW_DAYS=3" in _variables(make("help", "RESULTS_WINDOW_DAYS=3"))
    # the loader's own variable sets the default, so a shell that exports it gets it under make too
    assert "RESULTS_WINDOW_DAYS=2.5" in _variables(make("help", OPENF1_RESULTS_WINDOW_DAYS="2.5"))


def test_the_results_window_reaches_the_loader_through_the_environment(tmp_path: Path) -> None:
    """RESULTS_WINDOW_DAYS travels as OPENF1_RESULTS_WINDOW_DAYS (exported): the loader names a bad one, in one
    line, before it touches the warehouse."""
    warehouse = tmp_path / "untouched.duckdb"
    done = run_make("load", "SOURCE=/nonexistent", f"WAREHOUSE={warehouse}", "RESULTS_WINDOW_DAYS=-1")
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert len(errors) == 1 and "OPENF1_RESULTS_WINDOW_DAYS=-1 (make: RESULTS_WINDOW_DAYS)" in errors[0], done.stderr
    assert not warehouse.exists()


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("SEASONS=2024", "unknown variable SEASONS=2024 (did you mean SEASON?); the variables are: "),
        ("WAREHOUS=x.duckdb", "unknown variable WAREHOUS=x.duckdb; the variables are: "),
        ("TELEMETRY=on", "TELEMETRY=on is not a yes/no: give one of 1 0 true false yes no"),
        ("FULL_REFRESH=y", "FULL_REFRESH=y is not a yes/no"),
    ],
)
def test_a_misspelt_variable_or_an_invalid_value_stops_make_in_one_line(given: str, says: str) -> None:
    for target in ("build", "help"):
        done = run_make("-n", target, given)
        assert done.returncode == 2 and not done.stdout, done.stdout[:500]
        (line,) = done.stderr.strip().splitlines()
        assert says in line, line
    if "the variables are" in says:
        assert "SEASON " in line and "WAREHOUSE " in line and "TELEMETRY " in line


def test_the_settings_of_the_environment_and_every_documented_variable_pass() -> None:
    make("-n", "where", "BIGQUERY_PROJECT=p", "OPENF1_USERNAME=u", "TELEMETRY=yes", "SEASON=2024", "FORMAT=csv")
    # a bad SEASON or FORMAT is said by the program that reads it (the loader, make query), in one line
    done = run_make("load", "SEASON=24", "SOURCE=/nonexistent")
    assert [line for line in done.stderr.splitlines() if not line.startswith("make")] == [
        "error: SEASON=24 is before OpenF1's data, which starts in 2023: pick a later one"
    ], done.stderr
    readme = (ROOT / "README.md").read_text()
    documented = re.findall(r"\bmake ([a-z-]+)((?: [A-Z_]+=\S+)+)", readme)
    targets: dict[str, str] = {}  # each variable, and the first target the README gives it to
    for target, words in documented:
        for word in words.split():
            targets.setdefault(word.split("=")[0], target)
    assert {"SEASON", "WAREHOUSE", "SQL"} <= set(targets)
    for name, target in sorted(targets.items()):
        value = f"{name}=1" if name not in {"FORMAT", "SEASON"} else f"{name}=csv"
        done = run_make("-n", "help", value)
        if "unknown variable" in done.stderr:  # a variable of one target only (make bench SEASONS=3)
            done = run_make("-n", target, value)
        assert "unknown variable" not in done.stderr, done.stderr


def test_help_has_no_colour_codes_when_not_on_a_terminal() -> None:
    assert "\033[" not in make("help")


def test_each_warehouse_gets_its_own_report_and_every_hint_names_it() -> None:
    default = make("where")
    assert "Report:    reports/site/index.html" in default
    assert "WAREHOUSE=" not in default
    other = make("where", "WAREHOUSE=warehouse/other.duckdb")
    assert "Report:    reports/site-other/index.html" in other
    hints = [line.strip() for line in other.splitlines() if line.strip().startswith("make ")]
    assert len(hints) >= 3 and all(hint.endswith("WAREHOUSE=warehouse/other.duckdb") for hint in hints), hints
    assert '--out "reports/site-other"' in make("-n", "reports", "WAREHOUSE=warehouse/other.duckdb")
    assert '--out "reports/site"' in make("-n", "reports")
