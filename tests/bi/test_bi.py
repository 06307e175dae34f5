"""BI tools on the published copy, in their own environment (.venv-bi: DuckDB 1.5 + duckdb-engine + SQLAlchemy
2.0.x, and DuckDB 1.4): ``make bi-check``, each "Connect your tools" recipe of the README, and a BI reader holding
the copy open while ``make build`` publishes a new one beside it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bi import environment
from tests.conftest import ROOT, die_with_parent, published_paths, published_scratch, run_group, stop_group

# The README's recipes, as a user runs them (PUBLISHED and PARQUET stand for the copy's paths).
SQLALCHEMY_RECIPE = """
from sqlalchemy import create_engine, inspect, text

engine = create_engine("duckdb:///PUBLISHED?access_mode=read_only")
with engine.connect() as connection:
    columns = inspect(connection).get_columns("driver_standings", schema="marts")
    print([(column["name"], str(column["type"])) for column in columns])
    standings = connection.execute(text(
        "select driver_code, points from marts.driver_standings "
        "qualify round = max(round) over () order by position"
    ))
    print(standings.all()[0])
"""
SQLALCHEMY_CONNECT_ARGS_RECIPE = """
from sqlalchemy import create_engine, text

engine = create_engine("duckdb:///PUBLISHED", connect_args={"read_only": True})
with engine.connect() as connection:
    print(connection.execute(text("select count(*) from marts.fct_laps")).scalar())
    connection.execute(text("create table marts.scratch as select 1 as x"))
"""
POLARS_RECIPE = """
import json
import polars as pl

manifest = json.load(open("PARQUET/manifest.json"))
laps = pl.read_parquet("PARQUET/marts/fct_laps.parquet")
fastest = laps.group_by("driver_code").agg(pl.col("lap_duration_s").min()).sort("lap_duration_s")
print(laps.height, fastest.height, [table["rows"] for table in manifest["tables"] if table["table"] == "fct_laps"])
"""


def make(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return run_group(["make", *args], timeout=timeout)


def recipe(template: str, published: Path, parquet: Path | None = None) -> str:
    return template.replace("PUBLISHED", str(published)).replace("PARQUET", str(parquet))


@pytest.fixture(scope="session")
def bi_python() -> Path:
    """.venv-bi's python (installed from bi/requirements*.lock on first use, about a minute)."""
    try:
        return environment.ensure(say=lambda *_: None)
    except environment.SetupError as error:
        pytest.fail(str(error))


def run_bi(bi_python: Path, *args: str, duckdb14: bool = False, stdin: str | None = None):
    env = environment.duckdb14_environment() if duckdb14 else None
    return subprocess.run(
        [str(bi_python), *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, input=stdin
    )


def warehouse_of(published: Path) -> str:
    """The WAREHOUSE= that publishes ``published`` (the Makefile's rule, read backwards), relative to the repo."""
    return str((published.parent.parent / published.name).relative_to(ROOT))


@pytest.mark.slow
def test_bi_check_passes_on_the_published_sample(published_sample: tuple[Path, Path, Path], bi_python: Path) -> None:
    published, _, _ = published_sample
    checked = make("bi-check", f"WAREHOUSE={warehouse_of(published)}")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "BI check passed" in checked.stdout
    assert "SQLAlchemy 2.0." in checked.stdout and "DuckDB 1.5." in checked.stdout
    assert "DuckDB 1.4." in checked.stdout and "the same as 1.5" in checked.stdout


@pytest.mark.slow
def test_bi_check_fails_when_the_copy_breaks_a_contract(
    published_sample: tuple[Path, Path, Path], bi_python: Path, tmp_path: Path
) -> None:
    published, _, target = published_sample
    manifest = json.loads((target / "build_manifest.json").read_text())
    nodes = {f"{node['schema']}.{node['alias']}": node for node in manifest["nodes"].values()}
    nodes["marts.dim_drivers"]["columns"]["driver_code"]["data_type"] = "int64"  # the copy holds VARCHAR
    nodes["marts.fct_laps"]["columns"]["is_only_in_contract"] = {"name": "is_only_in_contract", "data_type": "bool"}
    del nodes["features.stint_features"]["columns"][next(iter(nodes["features.stint_features"]["columns"]))]
    (tmp_path / "build_manifest.json").write_text(json.dumps(manifest))
    checked = run_bi(bi_python, "-m", "bi.check", str(published), "--dbt-target", str(tmp_path))
    assert checked.returncode == 1, checked.stdout
    problems = [line for line in checked.stdout.splitlines() if line.startswith("  problem: ")]
    assert len(problems) == 3, checked.stdout
    assert any(line.startswith("  problem: marts.dim_drivers.driver_code: contract says int64") for line in problems)
    assert any("marts.fct_laps.is_only_in_contract: in the contract, missing" in line for line in problems)
    assert any(line.startswith("  problem: features.stint_features.") for line in problems)
    assert checked.stdout.rstrip().endswith("BI check failed: 3 problem(s) above")


@pytest.mark.slow
def test_bi_check_names_a_missing_copy_in_one_line(bi_python: Path, tmp_path: Path) -> None:
    checked = run_bi(bi_python, "-m", "bi.check", str(tmp_path / "none.duckdb"), "--dbt-target", str(tmp_path))
    assert checked.returncode == 1
    assert checked.stderr.count("\n") == 1 and "run make build (or make publish) first" in checked.stderr


@pytest.mark.slow
@pytest.mark.parametrize("duckdb14", [pytest.param(True, id="duckdb-1.4"), pytest.param(False, id="duckdb-1.5")])
def test_duckdb_1x_opens_the_published_copy_not_the_working_file(
    published_sample: tuple[Path, Path, Path], sample_build: tuple[Path, Path], bi_python: Path, duckdb14: bool
) -> None:
    published, parquet, _ = published_sample
    warehouse, _ = sample_build
    version = "1.4." if duckdb14 else "1.5."
    read = run_bi(bi_python, "-m", "bi.read_tables", str(published), duckdb14=duckdb14)
    assert read.returncode == 0, read.stderr
    seen = json.loads(read.stdout)
    assert seen["duckdb"].startswith(version)
    manifest = json.loads((parquet / "manifest.json").read_text())
    rows = {f"{table['schema']}.{table['table']}": table["rows"] for table in manifest["tables"]}
    assert {key: rows for key, (rows, _) in seen["tables"].items()} == rows
    refused = run_bi(bi_python, "-m", "bi.read_tables", str(warehouse), duckdb14=duckdb14)
    assert refused.returncode == 1, "DuckDB 1.x must not read the working file (DuckDB 2.0's format)"
    assert f"error: DuckDB {version}" in refused.stderr and "version number" in refused.stderr


@pytest.mark.slow
def test_sqlalchemy_recipe_reflects_and_queries_read_only(
    published_sample: tuple[Path, Path, Path], bi_python: Path
) -> None:
    published, _, _ = published_sample
    ran = run_bi(bi_python, "-c", recipe(SQLALCHEMY_RECIPE, published))
    assert ran.returncode == 0, ran.stderr
    columns, leader = ran.stdout.splitlines()
    assert "('driver_code', 'VARCHAR')" in columns and "('points', 'FLOAT')" in columns
    assert leader.startswith("('")
    writing = run_bi(bi_python, "-c", recipe(SQLALCHEMY_CONNECT_ARGS_RECIPE, published))
    assert writing.stdout.strip().isdigit() and int(writing.stdout) > 0
    assert writing.returncode == 1 and "read-only mode" in writing.stderr, "the copy must open read-only"


@pytest.mark.slow
def test_duckdb_cli_recipe_opens_the_copy_read_only(published_sample: tuple[Path, Path, Path], bi_python: Path) -> None:
    published, _, _ = published_sample
    cli = bi_python.parent / "duckdb"
    shown = subprocess.run(
        [str(cli), "-readonly", "-csv", str(published), "-c", "select count(*) as laps from marts.fct_laps"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "laps" and int(shown.stdout.splitlines()[1]) > 0
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("v1.5.")


@pytest.mark.slow
def test_pandas_recipe_reads_every_parquet_file_of_the_manifest(published_sample: tuple[Path, Path, Path]) -> None:
    _, parquet, _ = published_sample
    manifest = json.loads((parquet / "manifest.json").read_text())
    assert manifest["tables"], "the manifest lists the published tables"
    for table in manifest["tables"]:
        frame = pd.read_parquet(parquet / table["schema"] / f"{table['table']}.parquet")
        assert len(frame) == table["rows"], f"{table['schema']}.{table['table']}"
        assert list(frame.columns) == [column["name"] for column in table["columns"]]


@pytest.mark.slow
def test_polars_recipe_reads_the_parquet(published_sample: tuple[Path, Path, Path], bi_python: Path) -> None:
    _, parquet, _ = published_sample
    ran = run_bi(bi_python, "-c", recipe(POLARS_RECIPE, Path(), parquet))
    assert ran.returncode == 0, ran.stderr
    laps, drivers, manifest_rows = ran.stdout.split(" ", 2)
    assert json.loads(manifest_rows) == [int(laps)] and int(laps) > 0 and int(drivers) > 0


@pytest.fixture
def scratch(published_sample: tuple[Path, Path, Path]) -> Iterator[tuple[str, Path]]:
    """A copy of the built sample under its own name (WAREHOUSE=…), its first copy published; removed after."""
    with published_scratch(published_sample, "bi-scratch") as (name, warehouse):
        yield name, published_paths(warehouse)[0]


@pytest.mark.slow
def test_bi_reader_and_check_while_make_build_publishes_beside_them(
    scratch: tuple[str, Path], bi_python: Path, tmp_path: Path
) -> None:
    name, published = scratch
    # the second build loads another season into the same warehouse: the new copy has more meetings
    extra = tmp_path / "season-2024"
    simulated = make("simulate", "SEASON=2024", "ROUNDS=1", "SEED=5", "TELEMETRY_SCOPE=none", f"OUT={extra}")
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr
    build: subprocess.Popen[str] | None = None
    reader = subprocess.Popen(
        [str(bi_python), "-m", "bi.read_tables", str(published), "--hold"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before = json.loads(reader.stdout.readline())
        assert before["duckdb"].startswith("1.5.")
        build = subprocess.Popen(
            ["make", "build", f"WAREHOUSE={name}", f"SOURCE={extra}", f"REPORT_DIR={tmp_path}/site"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # stop_group below stops the whole build, its loader and replay server too
            preexec_fn=die_with_parent,
        )
        checks = []
        deadline = time.monotonic() + 900
        while build.poll() is None and time.monotonic() < deadline:
            checked = make("bi-check", f"WAREHOUSE={name}", timeout=300)
            checks.append(checked)
            assert checked.returncode == 0, "BI check during the build: " + checked.stdout + checked.stderr
        output, _ = build.communicate(timeout=max(1, deadline - time.monotonic()))
        assert build.returncode == 0, output[-3000:]
        assert checks, "the BI check ran while the build ran"
        reader.stdin.write("\n")
        reader.stdin.flush()
        held = json.loads(reader.stdout.readline())
    finally:
        if build is not None:
            stop_group(build)  # a failed check leaves the build running otherwise
        reader.stdin.close()
        reader.wait(timeout=30)
    assert held == before, "the BI reader holding the old copy keeps reading its snapshot"
    fresh = run_bi(bi_python, "-m", "bi.read_tables", str(published))
    assert fresh.returncode == 0, fresh.stderr
    now = json.loads(fresh.stdout)
    assert now["published_at"] > before["published_at"], "a new reader sees the new build"
    meetings = now["tables"]["marts.dim_meetings"][0], before["tables"]["marts.dim_meetings"][0]
    assert meetings[0] == meetings[1] + 1, "the new copy has the extra season's meeting"
    after = make("bi-check", f"WAREHOUSE={name}")
    assert after.returncode == 0, after.stdout + after.stderr
    print(f"{len(checks)} BI checks passed while make build ran", file=sys.stderr)
