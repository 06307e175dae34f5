"""The command that installs a lock into one of the side virtualenvs (.venv-bi, .venv-sql, .venv-bqemulator,
.venv-superset): uv, from .venv (requirements.lock pins it), the same pins as pip in a fraction of the time
(README, Quick start); pip when .venv has no uv.

Each side environment keeps its own steps (creating the venv, a stamp of its lock, checks after the install);
only the installer lives here, so they all install the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

UV = Path(sys.executable).with_name("uv")


def install_command(lock: Path, python: Path, *, target: Path | None = None, no_deps: bool = False) -> list[str]:
    """Install ``lock`` into the environment of ``python`` (or, with ``target``, into that folder for it)."""
    options = [*(["--target", str(target)] if target else []), *(["--no-deps"] if no_deps else [])]
    if UV.exists():
        return [str(UV), "pip", "install", "--quiet", "--python", str(python), *options, "-r", str(lock)]
    return [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *options, "-r", str(lock)]
