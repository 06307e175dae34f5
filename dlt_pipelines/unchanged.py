"""Nothing new, nothing fetched: a snapshot folder already loaded whole is not served and asked again.

    python -m dlt_pipelines.unchanged <the loader's arguments>   # exit 0: nothing to load (one line says why)

A snapshot folder is the API at one moment: while its files are the same, it answers the same. So when the last
successful load of this warehouse was of the same folder, with the same arguments and settings, left no session
due (none inside its settling time or its results' amendment window: ``LoadLedger``), and the warehouse still holds
exactly the loads it left (``warehouse.loads_state``: no load, ``make live`` cycle or new warehouse since), a new
load would fetch nothing: this says so in one line and exits 0, before the loader starts a replay server and dlt
(seconds). Otherwise it exits 1 without a word, and the Makefile runs the loader.

The loader records each successful load of a snapshot folder (``record``) in ``last_load.json`` in dlt's
working folder beside the warehouse. The live API and URLs are always asked (the loader then fetches only what is
due); ``--full-refresh`` and ``--refresh-results`` always load; so does BigQuery (its loads are not read here).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from dlt_pipelines.warehouse import loads_state, working_folder

RECORD = "last_load.json"
SETTINGS = ("OPENF1_RESULTS_WINDOW_DAYS",)  # what the loader reads from the environment that changes what is due


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--source", default="live")
    parser.add_argument("--destination", default="duckdb")
    parser.add_argument("--warehouse", default="warehouse/openf1.duckdb")
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--refresh-results", action="store_true")
    return parser


def folder_identity(folder: Path) -> str:
    """Every file of the snapshot folder by path, size and modification time (writers replace files whole)."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            stat = os.stat(os.path.join(root, name))
            relative = os.path.relpath(os.path.join(root, name), folder)
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _wanted(argv: Sequence[str]) -> tuple[argparse.Namespace, dict[str, object]] | None:
    """The arguments and what a record must match, or None when this load always runs."""
    args, _ = _parser().parse_known_args(list(argv))
    folder = Path(args.source)
    remote = args.source == "live" or args.source.startswith(("http://", "https://"))  # as origin.open_origin reads it
    if remote or args.destination != "duckdb" or args.full_refresh or args.refresh_results or not folder.is_dir():
        return None
    return args, {
        "arguments": [a for a in argv if a != "--quiet"],
        "settings": {name: os.environ.get(name) for name in SETTINGS},
        "snapshot": folder_identity(folder),
    }


def record(argv: Sequence[str], still_due: bool) -> None:
    """After a successful load: what it loaded from, and whether it left a session due for the next load."""
    wanted = _wanted(argv)
    if wanted is None:
        return
    args, match = wanted
    warehouse = Path(args.warehouse)
    entry = match | {
        "loads": loads_state(warehouse),
        "still_due": still_due,
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = working_folder(warehouse) / RECORD
    partial = path.with_name(f".{RECORD}.tmp")
    partial.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)


def why_unchanged(argv: Sequence[str]) -> str | None:
    """The line saying why nothing needs loading, or None when the loader must run."""
    wanted = _wanted(argv)
    if wanted is None:
        return None
    args, match = wanted
    warehouse = Path(args.warehouse)
    try:
        last = json.loads((working_folder(warehouse) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if last.get("still_due", True) or any(last.get(key) != value for key, value in match.items()):
        return None
    if last.get("loads") is None or last["loads"] != loads_state(warehouse):
        return None
    return (
        f"Load skipped: nothing new in {args.source}: the same snapshot was loaded whole into {warehouse} at "
        f"{last['loaded_at']} and no session is due again (FULL_REFRESH=1 or REFRESH_RESULTS=1 fetches anyway)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    line = why_unchanged(sys.argv[1:] if argv is None else argv)
    if line is None:
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
