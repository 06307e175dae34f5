"""Where the data comes from: ``live`` (api.openf1.org), an OpenF1-compatible base URL, or a snapshot folder.

A snapshot folder is served by the project's replay server in a child process on 127.0.0.1, so the loader
always speaks HTTP and never knows which kind of source it talks to.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openf1_api.client import DEFAULT_BASE_URL

SERVER_START_TIMEOUT_S = 300
PR_SET_PDEATHSIG = 1  # prctl(2)


class OriginError(RuntimeError):
    """A SOURCE that cannot be used; the message names the fix."""


@dataclass(frozen=True)
class Origin:
    base_url: str
    is_local: bool  # a replay server of ours: no client-side rate limit, whole-session telemetry windows
    label: str


def describe(source: str) -> str:
    if source == "live":
        return f"live OpenF1 API ({DEFAULT_BASE_URL})"
    if source.startswith(("http://", "https://")):
        return f"OpenF1-compatible server at {source}"
    return f"snapshot {source} (replayed on 127.0.0.1)"


@contextmanager
def open_origin(source: str) -> Iterator[Origin]:
    """Yield the base URL to load from; a snapshot's replay server lives for the ``with`` block."""
    if source == "live":
        yield Origin(DEFAULT_BASE_URL, is_local=False, label=describe(source))
        return
    if source.startswith(("http://", "https://")):
        if not source.rstrip("/").endswith("/v1"):
            raise OriginError(f"SOURCE={source} should be an OpenF1 base URL ending in /v1, e.g. http://host:8765/v1")
        host = source.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
        yield Origin(source.rstrip("/"), is_local=host in {"127.0.0.1", "localhost"}, label=describe(source))
        return
    folder = Path(source)
    if not folder.is_dir():
        raise OriginError(
            f"SOURCE={source} is neither 'sample', 'live', an http(s)://…/v1 URL nor a snapshot folder that exists"
        )
    with _replay_server(folder) as base_url:
        yield Origin(base_url, is_local=True, label=describe(source))


def _die_with_parent() -> None:
    """On Linux, have the kernel stop the replay server if the loader dies (even by kill -9)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _served_url(process: subprocess.Popen[str]) -> str | None:
    """The URL from the server's 'serving DIR at URL' line, or None if it exits first. Other output comes
    first on a busy machine (DuckDB draws a progress bar on stdout for a query slower than two seconds), and
    may come later: it is read and dropped in the background, so the pipe never fills and stalls the server."""
    if process.stdout is None:
        return None
    for line in process.stdout:
        if "serving " in line and " at " in line:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return line.rsplit(" at ", 1)[1].strip()
    return None


@contextmanager
def _replay_server(folder: Path) -> Iterator[str]:
    command = [
        sys.executable,
        "-m",
        "openf1_replay.server",
        "--snapshot",
        str(folder),
        "--port",
        "0",
        "--rate-limit",
        "0",
    ]
    # The server's log goes to a file: a pipe nobody reads would fill up and stall the server.
    with tempfile.TemporaryFile(mode="w+", prefix="openf1-replay-") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=_die_with_parent)
        try:
            url = _served_url(process)
            if url is None:
                process.wait(timeout=SERVER_START_TIMEOUT_S)
                log.seek(0)
                said = log.read().strip().splitlines()
                # the server's one-line reason, without its own "error: " (the loader prints one)
                raise OriginError(said[-1].removeprefix("error: ") if said else f"cannot serve snapshot {folder}")
            yield url
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
