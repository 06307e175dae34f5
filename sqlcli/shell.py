"""python -m sqlcli.shell: ``make sql``, harlequin (a terminal SQL IDE with DuckDB built in) on the published
copy, read-only.

Harlequin pins click==8.5.0 where dbt holds click 8.4 in .venv, so it lives in a virtualenv of its own,
``.venv-sql``, installed from ``sqlcli/requirements-shell.lock`` on first use and again whenever that lock
changes (``--lock`` re-pins it). ``--check`` opens the copy the way ``make sql`` does, without a terminal:
harlequin's DuckDB adapter connects read-only, lists the catalog and runs a query; then harlequin's own app
starts headless, runs a query typed into its editor and shows the result.
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
from sqlcli.database import DEFAULT_PUBLISHED, NotPublished, open_published

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("OPENF1_SQL_VENV", ROOT / ".venv-sql"))
LOCK = Path(__file__).with_name("requirements-shell.lock")
CHECK = Path(__file__).with_name("shell_check.py")
# What the lock pins (--lock resolves these again): DuckDB as .venv has it, so both read the same files.
REQUIREMENTS = ["harlequin==2.17.0", "duckdb==2.0.0"]


class ShellError(RuntimeError):
    """Harlequin could not be installed or started; the message says why in one line."""


def _python() -> Path:
    return VENV / "bin" / "python"


def _lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def _base_python() -> str:
    """The interpreter to build the venv from: this one's base, not .venv's."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    return env


def _run(command: list[str], failure: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, env=_environment())
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).strip().splitlines() if "is ignored" not in line]
        raise ShellError(f"{failure}: {lines[-1] if lines else f'exit {result.returncode}'}")
    return result


def ensure_venv(say=print) -> Path:
    """Create or update .venv-sql from the lock (instant when up to date); return its python."""
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text().strip() == _lock_digest() and _python().exists():
        return _python()
    say(f"Installing harlequin into {VENV.name} (once; seconds with uv)")
    started = time.monotonic()
    if not _python().exists():
        _run([_base_python(), "-m", "venv", str(VENV)], f"could not create {VENV.name}")
    _run(install_command(LOCK, _python()), f"could not install {LOCK.relative_to(ROOT)}")
    stamp.write_text(_lock_digest() + "\n")
    say(f"  installed in {time.monotonic() - started:.0f} s")
    return _python()


def relock() -> None:
    """Resolve REQUIREMENTS in a scratch venv and write the full freeze to the lock."""
    scratch = Path(tempfile.mkdtemp(prefix="openf1-sql-lock-"))
    try:
        _run([_base_python(), "-m", "venv", str(scratch)], "could not create a scratch virtualenv")
        pip = [str(scratch / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "install", "--quiet", *REQUIREMENTS], "could not resolve harlequin's requirements")
        frozen = _run([*pip, "freeze"], "could not list the resolved packages").stdout
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    header = (
        "# make sql's own environment (.venv-sql), apart from .venv: harlequin pins click==8.5.0, dbt holds 8.4.\n"
        f"# Full pip freeze of: {', '.join(REQUIREMENTS)}. Regenerate with: .venv/bin/python -m sqlcli.shell --lock\n"
    )
    LOCK.write_text(header + frozen)
    print(f"{LOCK.relative_to(ROOT)} rewritten")


def published() -> Path:
    """The published copy, checked to exist and to open read-only (NotPublished says how to make one)."""
    path = Path(os.environ.get("OPENF1_PUBLISHED") or DEFAULT_PUBLISHED)
    open_published(path).close()
    return path


def check(database: Path) -> str:
    """Open ``database`` through harlequin without a terminal (see shell_check.py); its report."""
    python = ensure_venv(say=lambda message: print(message, file=sys.stderr))
    return _run([str(python), str(CHECK), str(database)], "harlequin could not open the published copy").stdout


def start(database: Path) -> None:
    """Replace this process with harlequin on ``database``, read-only."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ShellError("make sql is interactive and needs a terminal: for scripts use make query SQL=...")
    ensure_venv()
    harlequin = VENV / "bin" / "harlequin"
    print(f"harlequin on {database} (read-only; the published copy of the last build that passed). Quit: ctrl+q")
    sys.stdout.flush()
    os.execve(harlequin, [str(harlequin), "--adapter", "duckdb", "--read-only", str(database)], _environment())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqlcli.shell", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="open the copy through harlequin without a terminal")
    parser.add_argument("--lock", action="store_true", help="re-pin sqlcli/requirements-shell.lock and exit")
    args = parser.parse_args(argv)
    try:
        if args.lock:
            relock()
            return 0
        database = published()
        if args.check:
            print(check(database), end="")
            return 0
        start(database)
    except (NotPublished, ShellError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
