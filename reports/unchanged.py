"""Nothing new, nothing rendered: the site is rendered again only when something it shows may have changed.

What a render reads: the published copy (``--warehouse``; ``make publish`` replaces the file when it publishes,
so a new file is a new build), dbt's records in ``--dbt-target`` (the data-quality page), and this package's code
and templates. Their identities (paths, sizes, modification times; the code by content) make one hash, kept
beside the site as ``.<site>.rendered.json`` once every page is written; the next render with the same hash and
the site still in place does nothing and says so. The page footers then keep the time they were rendered at.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DBT_RECORDS = ("build_results.json", "build_manifest.json", "run_results.json", "manifest.json", "sources.json")


def _identity(path: Path) -> list[object]:
    try:
        stat = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def inputs_hash(warehouse: Path, out: Path, dbt_target: Path | None) -> str:
    """The identity of everything a render of ``out`` from ``warehouse`` reads."""
    digest = hashlib.sha256()
    code_files = [*PACKAGE.glob("*.py"), *(p for p in (PACKAGE / "templates").rglob("*") if p.is_file())]
    for code in sorted(code_files):  # the renderer's code and templates (its sites live in reports/ too)
        digest.update(f"{code.relative_to(PACKAGE).as_posix()}\0".encode())
        digest.update(code.read_bytes())
    identities = {
        "warehouse": _identity(warehouse),
        "out": str(out.resolve()),
        "dbt": [_identity(dbt_target / name) for name in DBT_RECORDS] if dbt_target else None,
    }
    digest.update(json.dumps(identities, sort_keys=True).encode())
    return digest.hexdigest()


def stamp_path(out: Path) -> Path:
    return out.parent / f".{out.name}.rendered.json"


def is_current(out: Path, current: str) -> bool:
    """The site at ``out`` was rendered whole from these very inputs."""
    try:
        stamp = json.loads(stamp_path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("inputs") == current and all((out / name).exists() for name in ("index.html", "quality.html"))


def record(out: Path, current: str, pages: int) -> None:
    partial = out.parent / f".{out.name}.rendered.json.tmp"
    partial.write_text(json.dumps({"inputs": current, "pages": pages}) + "\n", encoding="utf-8")
    os.replace(partial, stamp_path(out))


def forget(out: Path) -> None:
    stamp_path(out).unlink(missing_ok=True)
