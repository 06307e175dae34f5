"""The snapshot format: the contract between the simulator, the recorder, the replay server and tests.

A snapshot is a folder holding, per OpenF1 endpoint, either

* one file ``<endpoint>.jsonl.gz`` / ``<endpoint>.jsonl`` / ``<endpoint>.json`` (a JSON array) / ``<endpoint>.csv``,
* or a subfolder ``<endpoint>/`` of such files (any names, e.g. one per session),

each record exactly as api.openf1.org returns it. In ``car_data/`` and ``location/``, a file named
``<session_key>.<suffix>`` or ``<session_key>_<anything>.<suffix>`` holds that session's records only (the
replay server reads it when the session is asked for). ``../shared/openf1-real/*`` are snapshots. Files and folders
whose names are not endpoints are ignored (e.g. a simulator's ``README.md``); anything starting with ``_`` or
``.`` is ignored too (writers use ``.tmp`` names while writing, so a half-written file is never read).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ENDPOINTS: tuple[str, ...] = (
    "meetings",
    "sessions",
    "drivers",
    "laps",
    "stints",
    "pit",
    "position",
    "intervals",
    "car_data",
    "location",
    "weather",
    "race_control",
    "team_radio",
    "overtakes",
    "session_result",
    "starting_grid",
    "championship_drivers",
    "championship_teams",
)
TELEMETRY_ENDPOINTS: tuple[str, ...] = ("car_data", "location")
SUFFIXES: tuple[str, ...] = (".jsonl.gz", ".jsonl", ".json", ".csv")


class SnapshotError(ValueError):
    """A snapshot folder or file that cannot be read; the message names the file and the fix."""


def _suffix(path: Path) -> str | None:
    return next((s for s in SUFFIXES if path.name.endswith(s)), None)


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def endpoint_files(snapshot: Path | str, endpoint: str) -> list[Path]:
    """Every data file of ``endpoint`` in ``snapshot``, sorted by name; empty if the endpoint is absent."""
    root = Path(snapshot)
    files = [root / f"{endpoint}{s}" for s in SUFFIXES if (root / f"{endpoint}{s}").is_file()]
    folder = root / endpoint
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.is_file() and _visible(p) and _suffix(p))
    return files


def endpoints_in(snapshot: Path | str) -> list[str]:
    """The endpoints a snapshot holds data for, in catalogue order."""
    root = Path(snapshot)
    if not root.is_dir():
        raise SnapshotError(f"snapshot folder {root} does not exist: pass a folder of <endpoint>.jsonl.gz files")
    return [e for e in ENDPOINTS if endpoint_files(root, e)]


def session_of_file(endpoint: str, path: Path) -> int | None:
    """The session a telemetry file is named for (``<endpoint>/<session_key>[_<anything>].<suffix>``), else None."""
    if endpoint not in TELEMETRY_ENDPOINTS or path.parent.name != endpoint:
        return None
    stem = path.name.split(".", 1)[0].split("_", 1)[0]
    return int(stem) if stem.isdigit() else None


def file_format(path: Path) -> str:
    """``jsonl`` (plain or gzip), ``json`` (an array) or ``csv``."""
    suffix = _suffix(path)
    if suffix is None:
        raise SnapshotError(f"{path}: unknown file type; use .jsonl.gz, .jsonl, .json or .csv")
    return {".jsonl.gz": "jsonl", ".jsonl": "jsonl", ".json": "json", ".csv": "csv"}[suffix]


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _csv_value(text: str) -> Any:
    """CSV loses JSON types; recover them the way OpenF1's own csv=true output reads back."""
    if text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def iter_file(path: Path) -> Iterator[dict[str, Any]]:
    """The records of one snapshot file, streamed. Raises SnapshotError naming the file and line if corrupt."""
    fmt = file_format(path)
    try:
        with _open_text(path) as handle:
            if fmt == "json":
                data = json.load(handle)
                if not isinstance(data, list):
                    raise SnapshotError(f"{path}: expected a JSON array of records")
                yield from data
            elif fmt == "csv":
                for row in csv.DictReader(handle):
                    yield {k: _csv_value(v) for k, v in row.items()}
            else:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except ValueError as error:
                        raise SnapshotError(
                            f"{path}: line {number} is not valid JSON ({error}); re-record or regenerate the file"
                        ) from None
                    if not isinstance(record, dict):
                        raise SnapshotError(f"{path}: line {number} is not a JSON object")
                    yield record
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as error:
        raise SnapshotError(f"{path}: cannot be read ({error}); re-record or regenerate the file") from None
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{path}: not valid JSON ({error}); re-record or regenerate the file") from None


def iter_records(snapshot: Path | str, endpoint: str) -> Iterator[dict[str, Any]]:
    """Every record of ``endpoint`` in ``snapshot``, file by file."""
    for path in endpoint_files(snapshot, endpoint):
        yield from iter_file(path)


def validate(snapshot: Path | str, endpoints: Iterable[str] | None = None) -> dict[str, int]:
    """Read every file once; return record counts per endpoint or raise SnapshotError on the first bad file."""
    names = list(endpoints) if endpoints is not None else endpoints_in(snapshot)
    return {e: sum(1 for _ in iter_records(snapshot, e)) for e in names}


class SnapshotWriter:
    """Writes a snapshot deterministically: gzip JSONL with a zero mtime, keys in the order given.

    ``write(endpoint, records)`` appends to ``<endpoint>.jsonl.gz``; ``write(endpoint, records, part="9472")``
    writes ``<endpoint>/9472.jsonl.gz`` (for per-session telemetry). Each file is written under a temporary
    name and renamed when closed, so readers never see half a file.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._open: dict[Path, tuple[Path, gzip.GzipFile, Any]] = {}

    def _handle(self, endpoint: str, part: str | None) -> Any:
        if endpoint not in ENDPOINTS:
            raise SnapshotError(f"unknown endpoint {endpoint!r}; known: {', '.join(ENDPOINTS)}")
        final = self.root / endpoint / f"{part}.jsonl.gz" if part else self.root / f"{endpoint}.jsonl.gz"
        if final not in self._open:
            final.parent.mkdir(parents=True, exist_ok=True)
            temp = final.with_name(f".{final.name}.tmp")
            raw = open(temp, "wb")  # noqa: SIM115 - closed in close()
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
            self._open[final] = (temp, gz, raw)
        return self._open[final][1]

    def write(self, endpoint: str, records: Iterable[dict[str, Any]], part: str | None = None) -> int:
        handle = self._handle(endpoint, part)
        count = 0
        lines = []
        for record in records:
            lines.append(json.dumps(record, separators=(", ", ": "), ensure_ascii=False))
            count += 1
            if len(lines) >= 10_000:
                handle.write(("\n".join(lines) + "\n").encode("utf-8"))
                lines = []
        if lines:
            handle.write(("\n".join(lines) + "\n").encode("utf-8"))
        return count

    def close(self) -> None:
        for final, (temp, gz, raw) in self._open.items():
            gz.close()
            raw.close()
            os.replace(temp, final)
        self._open.clear()

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
