"""The BI check's own environment, ``.venv-bi``, apart from .venv: the DuckDB 1.x releases BI tools embed.

.venv holds DuckDB 2.0 (the build's); BI tools and drivers hold 1.x. ``.venv-bi`` is what a BI user's machine
has: DuckDB 1.5.x, duckdb-engine 0.17 and SQLAlchemy 2.0.x (2.1 breaks duckdb-engine's column reflection:
``Referenced table "pg_catalog.pg_collation" not found``, duckdb_engine #1379), the DuckDB 1.5 CLI
(``.venv-bi/bin/duckdb``) and polars. DuckDB 1.4.x
(Evidence's node API, older DBeaver and CLI installs) sits in ``.venv-bi/duckdb-1.4``, a ``pip install
--target`` folder: put it first on PYTHONPATH and ``import duckdb`` is 1.4. Both come from committed locks
(``bi/requirements.lock``, ``bi/requirements-duckdb14.lock``), installed on first use and again whenever a
lock changes.

``python -m bi.environment`` creates or updates it; ``python -m bi.environment --lock`` re-pins both locks.
Standard library only: .venv's python (or any) runs it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sidevenv import install_command

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("OPENF1_BI_VENV", ROOT / ".venv-bi"))
LOCK = Path(__file__).with_name("requirements.lock")
LOCK_DUCKDB14 = Path(__file__).with_name("requirements-duckdb14.lock")
DUCKDB14_DIR = "duckdb-1.4"  # inside the venv
# What the locks pin (python -m bi.environment --lock resolves these again).
REQUIREMENTS = [
    "duckdb>=1.5,<1.6",
    "duckdb-cli>=1.5,<1.6",
    "duckdb-engine>=0.17,<0.18",
    "sqlalchemy>=2.0,<2.1",
    "polars",
]
REQUIREMENTS_DUCKDB14 = ["duckdb>=1.4,<1.5"]


class SetupError(RuntimeError):
    """The BI environment could not be installed; the message says why in one line."""


def python() -> Path:
    """The side venv's interpreter (DuckDB 1.5)."""
    return VENV / "bin" / "python"


def duckdb14_path(venv: Path = VENV) -> Path:
    """The folder that, first on PYTHONPATH, makes ``import duckdb`` load DuckDB 1.4."""
    return venv / DUCKDB14_DIR


def duckdb14_environment(venv: Path = VENV) -> dict[str, str]:
    """os.environ with DuckDB 1.4 first on PYTHONPATH (the repo root after it, for ``-m bi.…``)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(duckdb14_path(venv)), str(ROOT)])}


def _digest() -> str:
    return hashlib.sha256(LOCK.read_bytes() + LOCK_DUCKDB14.read_bytes()).hexdigest()


def ensure(say=print) -> Path:
    """Create or update .venv-bi from the locks (a no-op when up to date); return its python."""
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text().strip() == _digest() and python().exists():
        return python()
    say(f"Installing the BI check environment into {VENV.name} (once; seconds with uv): DuckDB 1.5 and 1.4, ...")
    started = time.monotonic()
    if not python().exists():
        _run([_base_python(), "-m", "venv", str(VENV)], "could not create the BI virtualenv")
    _run(install_command(LOCK, python()), f"could not install {LOCK.relative_to(ROOT)}")
    shutil.rmtree(duckdb14_path(), ignore_errors=True)
    _run(
        install_command(LOCK_DUCKDB14, python(), target=duckdb14_path()),
        f"could not install {LOCK_DUCKDB14.relative_to(ROOT)}",
    )
    stamp.write_text(_digest() + "\n")
    say(f"  installed in {time.monotonic() - started:.0f} s")
    return python()


def _base_python() -> str:
    """The interpreter to build the venv from: this one's base, not .venv's."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _run(command: list[str], failure: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).strip().splitlines() if "is ignored" not in line]
        raise SetupError(f"{failure}: {lines[-1] if lines else f'exit {result.returncode}'}")


def _freeze(requirements: list[str], lock: Path, header: list[str]) -> None:
    """Resolve ``requirements`` in a scratch venv and write the full freeze, under ``header``, to ``lock``."""
    scratch = Path(tempfile.mkdtemp(prefix="openf1-bi-lock-"))
    try:
        _run([_base_python(), "-m", "venv", str(scratch)], "could not create a scratch virtualenv")
        pip = [str(scratch / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "install", "--quiet", *requirements], f"could not resolve {' '.join(requirements)}")
        frozen = subprocess.run([*pip, "freeze"], capture_output=True, text=True, check=True).stdout
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    lock.write_text("".join(f"# {line}\n" for line in header) + frozen)
    print(f"{lock.relative_to(ROOT)} rewritten")


def relock() -> None:
    """Re-pin both locks from REQUIREMENTS and REQUIREMENTS_DUCKDB14."""
    regenerate = "Regenerate with: .venv/bin/python -m bi.environment --lock"
    _freeze(
        REQUIREMENTS,
        LOCK,
        [
            "The BI check's environment (.venv-bi), apart from .venv: what BI tools embed, DuckDB 1.5.x, with",
            "duckdb-engine 0.17 and SQLAlchemy 2.0.x (not 2.1: duckdb_engine #1379), the DuckDB 1.5 CLI and polars.",
            f"Full pip freeze of: {', '.join(REQUIREMENTS)}.",
            regenerate,
        ],
    )
    _freeze(
        REQUIREMENTS_DUCKDB14,
        LOCK_DUCKDB14,
        [
            "DuckDB 1.4.x for the BI check (Evidence's node API; older CLI/DBeaver installs), installed with",
            f"pip install --target .venv-bi/{DUCKDB14_DIR}. Full pip freeze of: {', '.join(REQUIREMENTS_DUCKDB14)}.",
            regenerate,
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bi.environment", description=__doc__.splitlines()[0])
    parser.add_argument("--lock", action="store_true", help="re-pin bi/requirements*.lock and exit")
    args = parser.parse_args(argv)
    try:
        if args.lock:
            relock()
        else:
            print(ensure())
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
