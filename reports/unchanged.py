"""Nothing new, nothing rendered: the site is rendered again only when something it shows may have changed.

What a render reads: the published copy (``--warehouse``; ``make publish`` replaces the file when it publishes,
so a new file is a new build), dbt's records in ``--dbt-target`` (the data-quality page), and this package's code
and templates. Their identities (paths, sizes, modification times; the code by content) make one hash, kept in the
site as ``.rendered.json`` with the list of pages once every page is written (it is swapped in and out with the
site). The next render with the same hash, and the site holding exactly those pages, does nothing and says so;
the page footers then keep the time they were rendered at. A page added, removed or left over, or what an
interrupted render left beside the site, renders it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from reports import swap

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


STAMP = ".rendered.json"  # in the site (reports/swap.py's SITE_ENTRIES lets it be there)


def _files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != STAMP)


def is_current(out: Path, current: str) -> bool:
    """The site at ``out`` is every page rendered from these very inputs, and nothing else, and no interrupted
    render left anything beside it (a render cleans that up)."""
    if swap.has_leftovers(out):
        return False
    try:
        stamp = json.loads((out / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("inputs") == current and stamp.get("pages") == _files(out)


def record(out: Path, current: str, pages: list[str]) -> None:
    """Written in place: a torn record is not JSON, and only makes the next render run (a temporary file in the
    site would be an entry the renderer never writes, which stops the next render)."""
    (out / STAMP).write_text(json.dumps({"inputs": current, "pages": sorted(pages)}) + "\n", encoding="utf-8")
