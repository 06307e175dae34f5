"""``.venv-superset``: Apache Superset 6.1.0 from PyPI, installed from superset_bi/requirements.lock."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sidevenv import install_command

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("OPENF1_SUPERSET_VENV", ROOT / ".venv-superset"))
LOCK = Path(__file__).with_name("requirements.lock")
# What the lock pins (python -m superset_bi lock resolves these again). Superset 6.1.0's own metadata misses
# rich and cachetools (its CLI imports both), and flask-caching 2.5 breaks its cache setup: 2.3.1 works.
REQUIREMENTS = ["apache-superset[duckdb]==6.1.0", "duckdb>=1.5,<1.6", "flask-caching==2.3.1", "cachetools", "rich"]


class SupersetError(RuntimeError):
    """Superset could not be installed, set up or started; the message says why and what to do, in one line."""


def python() -> Path:
    return VENV / "bin" / "python"


def program(name: str) -> Path:
    return VENV / "bin" / name


def _digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def _base_python() -> str:
    """The interpreter to build the venv from: this one's base, not .venv's."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _pip(pip_python: Path, *args: str, failure: str) -> None:
    _install([str(pip_python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *args], failure)


def _install(command: list[str], failure: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        lines = [line for line in lines if "is ignored" not in line] or [f"exit {result.returncode}"]
        raise SupersetError(f"{failure}: {lines[-1].strip()} (check that PyPI is reachable, then run it again)")


def ensure_venv(say: Callable[[str], None] = print) -> Path:
    """Create or update .venv-superset from the lock (seconds when up to date); return its python."""
    stamp = VENV / ".installed"
    if stamp.is_file() and stamp.read_text().strip() == _digest() and python().exists():
        return python()
    say(f"Superset: installing Apache Superset 6.1.0 into {VENV.name} from {LOCK.relative_to(ROOT)} (once; 2-3 min)")
    started = time.monotonic()
    if not python().exists():
        made = subprocess.run([_base_python(), "-m", "venv", str(VENV)], capture_output=True, text=True)
        if made.returncode != 0:
            raise SupersetError(f"could not create {VENV}: {made.stderr.strip()[-200:]} (is python3-venv installed?)")
    _install(install_command(LOCK, python(), no_deps=True), failure=f"could not install {LOCK.relative_to(ROOT)}")
    stamp.write_text(_digest() + "\n")
    say(f"Superset: installed in {time.monotonic() - started:.0f} s")
    return python()


def lock(say: Callable[[str], None] = print) -> None:
    """Resolve REQUIREMENTS again in a scratch venv and rewrite the lock (pip freeze)."""
    scratch = Path(tempfile.mkdtemp(prefix="openf1-superset-lock-"))
    try:
        say(f"Resolving {' '.join(REQUIREMENTS)} in a scratch venv (minutes)")
        subprocess.run([_base_python(), "-m", "venv", str(scratch)], check=True)
        _pip(scratch / "bin" / "python", *REQUIREMENTS, failure="could not resolve Superset's requirements")
        frozen = subprocess.run(
            [str(scratch / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True, check=True
        ).stdout
        header = (
            "# The pinned environment of .venv-superset (Apache Superset 6.1.0 and DuckDB 1.5.x through duckdb-engine),"
            " apart\n# from .venv: Superset pins SQLAlchemy 1.4 and pandas 2.1. Resolved from superset_bi/venv.py's"
            " REQUIREMENTS;\n# re-pin with: .venv/bin/python -m superset_bi lock\n"
        )
        LOCK.write_text(header + frozen)
        say(f"{LOCK.relative_to(ROOT)} rewritten")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
