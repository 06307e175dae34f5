"""The snapshot format: the contract between the simulator, the recorder, the replay server and tests.

A snapshot is a folder holding, per OpenF1 endpoint, either

* one file ``<endpoint>.jsonl.gz`` / ``<endpoint>.jsonl`` / ``<endpoint>.json`` (a JSON array) / ``<endpoint>.csv``,
* or a subfolder ``<endpoint>/`` of such files (any names, e.g. one per session),

each record exactly as api.openf1.org returns it. In ``car_data/`` and ``location/``, a file named
``<session_key>.<suffix>`` or ``<session_key>_<anything>.<suffix>`` holds that session's records only (the
replay server reads it when the session is asked for). ``../shared/openf1-real/*`` are snapshots. Files and folders
whose names are not endpoints are ignored (e.g. a simulator's ``README.md``); anything starting with ``_`` or
``.`` is ignored too (writers use ``.tmp`` names while writing, so a half-written file is never read).

A telemetry folder may hold ``_index.json``: the files its writer wrote in OpenF1's answer order (``OrderedFile``),
so a request for the whole session can be answered from the file's lines as they are, without parsing them.
An entry holds only while the file's gzip trailer (CRC-32 and length of its text) still matches it.

A snapshot is the API at one moment; two versions of an endpoint (a result amended after the race) are two
snapshots. The simulator's ``<OUT>.amended/`` is the later one: whole, its unchanged files hard links to ``<OUT>``'s.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
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
INDEX = "_index.json"


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
                    except json.JSONDecodeError as error:
                        problem = f"{error.msg} at character {error.pos + 1}"
                        raise SnapshotError(_bad_line(path, number, line, problem)) from None
                    if not isinstance(record, dict):
                        raise SnapshotError(_bad_line(path, number, line, "not a JSON object"))
                    yield record
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as error:
        raise SnapshotError(f"{path}: cannot be read ({error}); {WRITE_AGAIN}") from None
    except json.JSONDecodeError as error:
        raise SnapshotError(
            f"{path}: not a JSON array of records ({error.msg} at line {error.lineno}, column {error.colno}); "
            f"{WRITE_AGAIN}"
        ) from None


WRITE_AGAIN = "write the snapshot again (make sample for the sample, make record for a recording)"


def _bad_line(path: Path, number: int, line: str, problem: str) -> str:
    """One line naming the file, the line, what is there instead of a record, and what to do."""
    text = line.strip()
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f"{path}: line {number} is not a JSON record: it reads {shown!r} ({problem}); fix that line or {WRITE_AGAIN}"


@dataclass(frozen=True)
class OrderedFile:
    """A gzip JSONL file written in the order OpenF1 answers a query for all of it: sorted by ``order`` (the
    sort keys, in OpenF1's priority, that every record has a value for; no other sort key has one in every
    record), ties in line order. Its text is ``records`` lines, each ending in a newline, ``size`` bytes with
    CRC-32 ``crc32``: the whole-session answer is that text with its newlines turned into commas, in brackets."""

    records: int
    size: int
    crc32: int
    order: tuple[str, ...]


def read_index(folder: Path) -> dict[str, OrderedFile]:
    """The ordered files ``folder/_index.json`` lists, by file name (empty when there is no usable index)."""
    try:
        document = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        return {
            name: OrderedFile(int(e["records"]), int(e["size"]), int(e["crc32"]), tuple(e["order"]))
            for name, e in document["files"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no index, or one we cannot read: every file is answered the ordinary way


def matches_index(path: Path, entry: OrderedFile) -> bool:
    """Whether the single-member gzip file still holds the text its index entry describes (its trailer's
    CRC-32 and length are the entry's): a rewritten, appended or re-ordered file no longer matches."""
    if not path.name.endswith(".gz") or entry.records < 1:
        return False
    try:
        with open(path, "rb") as handle:
            handle.seek(-8, os.SEEK_END)
            trailer = handle.read(8)
    except OSError:
        return False
    crc, size = int.from_bytes(trailer[:4], "little"), int.from_bytes(trailer[4:], "little")
    return len(trailer) == 8 and crc == entry.crc32 and size == entry.size % 2**32


def iter_records(snapshot: Path | str, endpoint: str) -> Iterator[dict[str, Any]]:
    """Every record of ``endpoint`` in ``snapshot``, file by file."""
    for path in endpoint_files(snapshot, endpoint):
        yield from iter_file(path)


def validate(snapshot: Path | str, endpoints: Iterable[str] | None = None) -> dict[str, int]:
    """Read every file once; return record counts per endpoint or raise SnapshotError on the first bad file."""
    names = list(endpoints) if endpoints is not None else endpoints_in(snapshot)
    return {e: sum(1 for _ in iter_records(snapshot, e)) for e in names}


@dataclass
class _OpenFile:
    temp: Path
    raw: Any
    gz: gzip.GzipFile
    records: int = 0
    size: int = 0
    crc32: int = 0
    order: tuple[str, ...] | None = None  # declared with write_ordered: listed in the folder's _index.json

    def write(self, data: bytes | memoryview) -> None:
        self.gz.write(data)
        self.records += bytes(data).count(b"\n") if isinstance(data, memoryview) else data.count(b"\n")
        self.size += len(data)
        self.crc32 = zlib.crc32(data, self.crc32)


class SnapshotWriter:
    """Writes a snapshot deterministically: gzip JSONL with a zero mtime, keys in the order given.

    ``write(endpoint, records)`` appends to ``<endpoint>.jsonl.gz``; ``write(endpoint, records, part="9472")``
    writes ``<endpoint>/9472.jsonl.gz`` (for per-session telemetry). Each file is written under a temporary
    name and renamed when closed, so readers never see half a file. A part written with ``write_ordered`` is
    listed in its folder's ``_index.json`` (see ``OrderedFile``) when closed; any other part written is taken
    off that list.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._open: dict[Path, _OpenFile] = {}

    def _file(self, endpoint: str, part: str | None) -> _OpenFile:
        if endpoint not in ENDPOINTS:
            raise SnapshotError(f"unknown endpoint {endpoint!r}; known: {', '.join(ENDPOINTS)}")
        final = self.root / endpoint / f"{part}.jsonl.gz" if part else self.root / f"{endpoint}.jsonl.gz"
        if final not in self._open:
            final.parent.mkdir(parents=True, exist_ok=True)
            temp = final.with_name(f".{final.name}.tmp")
            raw = open(temp, "wb")  # noqa: SIM115 - closed in close()
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
            self._open[final] = _OpenFile(temp, raw, gz)
        return self._open[final]

    def write(self, endpoint: str, records: Iterable[dict[str, Any]], part: str | None = None) -> int:
        handle = self._file(endpoint, part)
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

    def write_ordered(self, endpoint: str, part: str, lines: bytes | memoryview, order: Sequence[str]) -> None:
        """Write a whole part at once from JSON lines already in OpenF1's answer order by ``order`` (the caller
        vouches for it: see ``OrderedFile``), so the replay server may answer it without parsing."""
        file = self._file(endpoint, part)
        if file.size:
            raise SnapshotError(f"{endpoint}/{part}: write_ordered writes a whole part; it was written already")
        if len(lines) and bytes(lines[-1:]) != b"\n":
            raise SnapshotError(f"{endpoint}/{part}: ordered lines must each end in a newline")
        file.write(lines)
        file.order = tuple(order)

    def close(self) -> None:
        folders: dict[Path, dict[str, OrderedFile | None]] = {}
        for final, file in self._open.items():
            file.gz.close()
            file.raw.close()
            os.replace(file.temp, final)
            entry = OrderedFile(file.records, file.size, file.crc32, file.order) if file.order else None
            if final.parent != self.root:
                folders.setdefault(final.parent, {})[final.name] = entry
        self._open.clear()
        for folder, changes in folders.items():
            index = read_index(folder)
            if not index and not any(changes.values()):
                continue
            for name, entry in changes.items():
                if entry is None:
                    index.pop(name, None)
                else:
                    index[name] = entry
            document = {"files": {name: asdict(index[name]) for name in sorted(index)}}
            temp = folder / f".{INDEX}.tmp"
            temp.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
            os.replace(temp, folder / INDEX)

    def __enter__(self) -> SnapshotWriter:
        return self

    def discard(self) -> None:
        """Drop every file opened and not yet closed: nothing half-written becomes a part."""
        for file in self._open.values():
            file.gz.close()
            file.raw.close()
            file.temp.unlink(missing_ok=True)
        self._open.clear()

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        # an exception (Ctrl-C included) inside the block leaves no part behind: a part that exists is complete,
        # which is what resuming a recording relies on
        if exc_type is None:
            self.close()
        else:
            self.discard()
