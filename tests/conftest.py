"""Shared pytest fixtures: paths to the real OpenF1 snapshots and helpers to run the project's commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPENF1_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "openf1-real"


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
