"""One build at a time per warehouse: run a command holding the warehouse's build lock, or stop in one line.

    python -m serving.buildlock warehouse/.openf1.build-lock --warehouse warehouse/openf1.duckdb -- make _build

The lock is an exclusive ``flock`` on a file beside the warehouse, taken before anything else runs. The
command inherits it (and so do the programs it starts without closing their files, make's recipes): it is held
until the last of them ends, and the kernel releases it when they die, even by ``kill -9`` — a lock is never
left stale. The file records who holds it (PID, command, since when) for the next command that finds it taken.

A command run under the lock carries ``OPENF1_BUILD_LOCK=<lock file>`` in its environment: the Makefile's
steps (``make load`` inside ``make build``) see that their build already holds it and run without taking it.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HELD_ENV = "OPENF1_BUILD_LOCK"


@dataclass(frozen=True)
class Holder:
    """Who holds a build lock, as its holder recorded it."""

    pid: int
    command: str
    since: datetime

    def describe(self, now: datetime | None = None) -> str:
        minutes = int(((now or datetime.now(UTC)) - self.since).total_seconds() // 60)
        ago = "just now" if minutes < 1 else f"{minutes} min ago"
        return f"PID {self.pid} ({self.command}, since {self.since:%H:%M:%S} UTC, {ago})"


class LockBusy(RuntimeError):
    """Another build holds the lock."""


def read_holder(lock_file: Path) -> Holder | None:
    """The holder recorded in ``lock_file`` (None when nobody wrote one or it cannot be read)."""
    try:
        record = json.loads(lock_file.read_text() or "null")
        return Holder(int(record["pid"]), str(record["command"]), datetime.fromisoformat(record["since"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def is_held(lock_file: Path) -> bool:
    """Whether some process holds ``lock_file`` now (tested without waiting and without keeping it)."""
    try:
        descriptor = os.open(lock_file, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def acquire(lock_file: Path, command: str) -> int:
    """Take the lock (never waiting) and record the holder; the open descriptor holds it. ``LockBusy`` when taken."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise LockBusy(str(lock_file)) from None
    record = {"pid": os.getpid(), "command": command, "since": datetime.now(UTC).isoformat(timespec="seconds")}
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (json.dumps(record) + "\n").encode(), 0)
    return descriptor


def busy_message(warehouse: str, holder: Holder | None) -> str:
    who = holder.describe() if holder else "another process"
    return (
        f"error: {warehouse} is being built by {who}: wait for it to finish (make status shows it), "
        f"or build another warehouse side by side with WAREHOUSE=warehouse/<name>.duckdb"
    )


def unwritable_message(warehouse: str, folder: Path, error: OSError) -> str:
    return (
        f"error: cannot write in {folder} ({error.strerror}), where {warehouse} and its working files live: "
        "give a WAREHOUSE in a folder you can write to, e.g. WAREHOUSE=warehouse/<name>.duckdb"
    )


def run_locked(lock_file: Path, warehouse: str, command: list[str], label: str) -> int:
    """Run ``command`` holding the lock; 75 (EX_TEMPFAIL) with one line when another build holds it."""
    if os.environ.get(HELD_ENV) == str(lock_file):
        return subprocess.call(command)  # the build this command belongs to already holds it
    try:
        descriptor = acquire(lock_file, label)
    except LockBusy:
        print(busy_message(warehouse, read_holder(lock_file)), file=sys.stderr)
        return 75
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            print(unwritable_message(warehouse, lock_file.parent, error), file=sys.stderr)
            return 1
        raise
    child = subprocess.Popen(command, env=os.environ | {HELD_ENV: str(lock_file)}, pass_fds=(descriptor,))
    # Ctrl-C reaches the whole foreground group: the command handles it; this process waits for its end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    return child.wait()


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    split = words.index("--") if "--" in words else len(words)
    options, command = words[:split], words[split + 1 :]
    parser = argparse.ArgumentParser(
        usage="python -m serving.buildlock LOCK_FILE --warehouse W [--label L] -- COMMAND ...",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("lock_file", type=Path, help="the warehouse's build lock file")
    parser.add_argument("--warehouse", required=True, help="the warehouse it guards, for messages")
    parser.add_argument("--label", default="", help="what holds it, for the next command's message (make build)")
    args = parser.parse_args(options)
    if not command:
        parser.error("give the command to run after --")
    return run_locked(args.lock_file, args.warehouse, command, args.label or " ".join(command))


if __name__ == "__main__":
    sys.exit(main())
