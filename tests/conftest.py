"""Shared pytest fixtures: paths to the real OpenF1 snapshots and helpers to run the project's commands."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPENF1_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "openf1-real"
# make test-dbt's sample warehouse and dbt artefacts (the Makefile's TEST_WAREHOUSE), and one of pytest's own
TEST_DBT_SAMPLE = ROOT / "warehouse" / "test" / "sample.duckdb", ROOT / "target" / "warehouse_test_sample"
PYTEST_SAMPLE = ROOT / "warehouse" / "test" / "pytest-sample.duckdb", ROOT / "target" / "warehouse_test_pytest-sample"
# what a dbt build reads besides the warehouse: a build older than any of them may not be today's models
DBT_INPUTS = ("models", "macros", "seeds", "tests/dbt", "dbt_project.yml", "profiles.yml")


def real_snapshot(name: str) -> Path:
    """A real OpenF1 snapshot under ../shared/openf1-real, or skip: it is not ours to ship in the repo."""
    path = REAL / name
    if not path.is_dir():
        pytest.skip(f"real OpenF1 data not available at {path} (../shared is absent on this machine)")
    return path


def run_module(
    module: str, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` from the repo root, as the Makefile does."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def dbt_env(warehouse: Path, target: Path) -> dict[str, str]:
    """The environment the Makefile gives dbt, for a warehouse of a test's own."""
    return {
        "OPENF1_WAREHOUSE": str(warehouse),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def models_built(target: Path) -> list[str]:
    """The models dbt's last run in ``target`` built without error, or [] when it has not finished one."""
    results = target / "run_results.json"
    if not results.is_file():
        return []
    return [
        result["unique_id"]
        for result in json.loads(results.read_text())["results"]
        if result["unique_id"].startswith("model.") and result["status"] == "success"
    ]


def built_after_dbt_inputs(target: Path) -> bool:
    """Whether dbt's last run in ``target`` ended after every model, macro, seed and dbt setting last changed."""
    results = target / "run_results.json"
    if not results.is_file():
        return False
    paths = [ROOT / name for name in DBT_INPUTS]
    files = [path for path in paths if path.is_file()]
    files += [file for path in paths if path.is_dir() for file in path.rglob("*") if file.is_file()]
    return results.stat().st_mtime >= max(file.stat().st_mtime for file in files)


@pytest.fixture(scope="session")
def sample_build() -> tuple[Path, Path]:
    """The simulated sample loaded by the pipeline and built by dbt: its warehouse and dbt target path.

    ``make test-dbt``'s (``make test`` builds it just before pytest) when it is newer than every dbt input and
    its models all built; else pytest's own, built the same way (``make load transform SOURCE=sample``) into
    ``warehouse/test/pytest-sample.duckdb`` and reused on the next run while it is up to date.
    """
    for warehouse, target in (TEST_DBT_SAMPLE, PYTEST_SAMPLE):
        # make transform's record of a passing build, which make publish reads
        passed = all((target / name).is_file() for name in ("build_results.json", "build_manifest.json"))
        if warehouse.is_file() and passed and models_built(target) and built_after_dbt_inputs(target):
            return warehouse, target
    warehouse, target = PYTEST_SAMPLE
    warehouse.unlink(missing_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    built = subprocess.run(
        ["make", "load", "transform", f"WAREHOUSE={warehouse.relative_to(ROOT)}", "SOURCE=sample"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return warehouse, target


def published_paths(warehouse: Path) -> tuple[Path, Path]:
    """Where ``make publish`` writes ``warehouse``'s published copy and its Parquet folder (the Makefile's rule)."""
    published = warehouse.parent / "published" / warehouse.name
    return published, published.with_suffix("")


@pytest.fixture(scope="session")
def published_sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path, Path]:
    """The sample built and published (``make publish``): the published DuckDB file, its Parquet folder and the
    build's dbt target path. Published again when the build is newer than the copy."""
    warehouse, target = sample_build
    published, parquet = published_paths(warehouse)
    if not published.is_file() or published.stat().st_mtime < (target / "build_results.json").stat().st_mtime:
        done = subprocess.run(
            ["make", "publish", f"WAREHOUSE={warehouse.relative_to(ROOT)}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return published, parquet, target


@contextlib.contextmanager
def published_scratch(published_sample: tuple[Path, Path, Path], stem: str) -> Iterator[tuple[str, Path]]:
    """A copy of the built sample as ``warehouse/test/<stem>.duckdb`` (its own WAREHOUSE=, dbt target and
    published copy), published once; yields its WAREHOUSE= value and file, and removes all of it after."""
    published, _, target = published_sample
    warehouse = ROOT / "warehouse" / "test" / f"{stem}.duckdb"
    name = str(warehouse.relative_to(ROOT))
    scratch_target = ROOT / "target" / name.removesuffix(".duckdb").replace("/", "_")
    shutil.rmtree(scratch_target, ignore_errors=True)
    scratch_target.mkdir(parents=True)
    for file in ("build_manifest.json", "build_results.json"):
        shutil.copy(target / file, scratch_target / file)
    shutil.copy(published.parent.parent / published.name, warehouse)
    done = subprocess.run(["make", "publish", f"WAREHOUSE={name}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        yield name, warehouse
    finally:
        warehouse.unlink(missing_ok=True)
        shutil.rmtree(scratch_target, ignore_errors=True)
        for leftover in (warehouse.parent / "published").glob(f"*{stem}*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()


@pytest.fixture(scope="session")
def real_2024_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """The real 2024 season loaded by the pipeline and built by ``dbt build``, once per test run.

    Returns the warehouse, dbt's target path and dbt's result (tests decide whether every dbt test must pass).
    ``OPENF1_TRUTH_WAREHOUSE`` (with ``OPENF1_TRUTH_DBT_TARGET``) names one already built, for development.
    """
    existing = os.environ.get("OPENF1_TRUTH_WAREHOUSE")
    if existing:
        target = Path(os.environ.get("OPENF1_TRUTH_DBT_TARGET", Path(existing).parent / "target"))
        return Path(existing), target, subprocess.CompletedProcess([], 0, "", "")
    snapshot = real_snapshot("2024-season")
    real_snapshot("truth-2024")
    work = tmp_path_factory.mktemp("real-2024")
    warehouse, target = work / "openf1.duckdb", work / "target"
    loaded = run_module("dlt_pipelines.pipeline", "--source", str(snapshot), "--warehouse", str(warehouse), timeout=900)
    assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]
    built = run_module("dbt.cli.main", "build", "--quiet", timeout=900, env=dbt_env(warehouse, target))
    return warehouse, target, built
