"""The DuckDB warehouse file as the loader meets it: a folder it can write in, and no other process holding it.

Both are checked before anything is fetched, and each failure is one line naming the cause and the fix. The
wording of a held file lives here; the Makefile's guard (``serving/holder.py``) says the same, so a user reads the
same advice whichever of the two meets it first.

One load at a time per working folder: ``prepare`` takes an exclusive ``flock`` on ``<working folder>/.run-lock``
for the rest of the process (the kernel frees it when the process ends, however it ends), so two loads of one
warehouse never share dlt's working folder and its load packages, even when started outside make (whose build
lock stops a second build before it starts: ``serving/buildlock.py``).
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from pathlib import Path

import duckdb

LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


class WarehouseError(RuntimeError):
    """A warehouse file the loader cannot write; the message names the fix."""


def working_folder(warehouse: Path) -> Path:
    """dlt's working folder: beside the warehouse file, so warehouses side by side never share state."""
    return warehouse.parent / ".dlt" / warehouse.stem


def prepare(warehouse: Path) -> Path:
    """Make the warehouse's folder and dlt's working folder, check both take files, and check no other
    process holds the warehouse file; return the working folder. WarehouseError when one fails."""
    folder = working_folder(warehouse)
    for place in (warehouse.parent, folder):
        try:
            place.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=place).close()
        except OSError as error:
            raise WarehouseError(_cannot_write(warehouse, place, error)) from None
    _hold_working_folder(warehouse, folder)
    if warehouse.exists():
        try:
            duckdb.connect(str(warehouse)).close()
        except duckdb.IOException as error:
            raise WarehouseError(held_message(warehouse, str(error)) or f"cannot open {warehouse}: {error}") from None
    return folder


_held: dict[Path, int] = {}  # working folder -> its run lock's descriptor, open for the life of the process


def _hold_working_folder(warehouse: Path, folder: Path) -> None:
    """Take the working folder's run lock (never waiting): WarehouseError naming the load that holds it."""
    if folder.resolve() in _held:
        return  # this process holds it already (a second run in one process: tests)
    lock = folder / ".run-lock"
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        holder = lock.read_text().strip()
        who = f"PID {holder}: {command_line(int(holder)) or 'a load'}" if holder.isdigit() else "another process"
        raise WarehouseError(
            f"another load of {warehouse} is running ({who}): wait for it to finish; two loads never share "
            f"its working folder {folder}"
        ) from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    _held[folder.resolve()] = descriptor


def release(warehouse: Path) -> None:
    """Give the working folder's run lock back before this process ends (live mode hands over to a ``make
    build`` whose loader takes it)."""
    descriptor = _held.pop(working_folder(warehouse).resolve(), None)
    if descriptor is not None:
        os.close(descriptor)


def _cannot_write(warehouse: Path, place: Path, error: OSError) -> str:
    """The folder that refused (``place``, or its nearest parent that exists when it could not be made), the fix."""
    refused = next((p for p in (place, *place.parents) if p.is_dir()), place)
    return (
        f"cannot write in {refused} ({error.strerror or error}): the warehouse {warehouse} and the loader's "
        f"working folder live there; pass WAREHOUSE=<a .duckdb file in a folder you can write to>"
    )


def command_line(pid: int) -> str:
    """The command line of process ``pid`` ("" when /proc does not tell), on one line, at most 160 characters."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    text = " ".join(" ".join(word.decode(errors="replace") for word in raw.split(b"\0") if word).split())
    return text if len(text) <= 160 else text[:157] + "..."


def held_message(warehouse: Path | str, error: str) -> str | None:
    """One line naming the process holding ``warehouse`` and what to do, or None when ``error`` (a DuckDB
    error's text) is not DuckDB's "Conflicting lock"."""
    match = LOCK_HOLDER.search(error)
    if not match:
        return None
    pid = int(match["pid"])
    program = command_line(pid) or match["program"]
    return (
        f"{warehouse} is in use by another process (PID {pid}: {program}); "
        f"close that program or stop it (kill {pid}), then run the command again"
    )


def loads_state(warehouse: Path) -> list[object] | None:
    """What dlt has loaded into the warehouse, in three values that change with every load (``make load`` and
    every ``make live`` cycle alike): how many loads ``raw_openf1._dlt_loads`` records, the newest load id, the
    newest insert. None when the file or the table is missing, or the file cannot be opened now."""
    if not warehouse.is_file():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            row = connection.execute(
                "select count(*), max(load_id), cast(max(inserted_at) as varchar) from raw_openf1._dlt_loads"
            ).fetchone()
    except duckdb.Error:
        return None
    return list(row) if row else None
