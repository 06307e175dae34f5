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
