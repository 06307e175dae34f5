"""``make live SOURCE=sample`` (or a snapshot folder): follow a simulated session offline.

Starts the replay server's live clock on the snapshot (``python -m openf1_replay.server --live``, behind a
throwaway mosquitto broker for ``TRANSPORT=mqtt``: ``python -m openf1_replay.broker``) as a child process, with
a one-off account, and hands back its URLs. The server stops with this process (even on kill -9: the kernel
sends it SIGTERM).
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlt_pipelines.origin import _die_with_parent

START_TIMEOUT_S = 120.0


class ReplayError(Exception):
    """The live replay could not start; one line, naming the cause."""


@dataclass(frozen=True)
class LiveReplay:
    base_url: str
    username: str
    password: str
    mqtt_url: str | None  # mqtt://host:port when a broker runs


@contextmanager
def live_replay(snapshot: Path, speed: float, mqtt: bool, session: str | None = None) -> Iterator[LiveReplay]:
    username, password = "live-replay", secrets.token_urlsafe(12)
    server = ["--snapshot", str(snapshot), "--port", "0", "--live", "--speed", f"{speed:g}", "--quiet"]
    server += ["--username", username, "--password", password]
    if session and session != "latest":
        server += ["--session", session]
    if mqtt:
        command = [sys.executable, "-m", "openf1_replay.broker", "--", *server]
    else:
        command = [sys.executable, "-m", "openf1_replay.server", *server]
    with tempfile.TemporaryFile(mode="w+", prefix="openf1-live-replay-") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=_die_with_parent)
        try:
            base_url, mqtt_url = _announced(process, mqtt)
            if base_url is None or (mqtt and mqtt_url is None):
                process.wait(timeout=START_TIMEOUT_S)
                log.seek(0)
                said = [line for line in log.read().strip().splitlines() if line.strip()]
                reason = said[-1].removeprefix("error: ") if said else "it stopped without a word"
                raise ReplayError(f"the live replay of {snapshot} did not start: {reason}")
            yield LiveReplay(base_url, username, password, mqtt_url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _announced(process: subprocess.Popen[str], mqtt: bool) -> tuple[str | None, str | None]:
    """The server's URL ("serving DIR at URL") and the broker's ("mosquitto at HOST:PORT …"); the rest of the
    output is read and dropped in the background so the pipe never stalls the server."""
    base_url = mqtt_url = None
    if process.stdout is None:
        return None, None
    for line in process.stdout:
        if line.startswith("mosquitto at "):
            mqtt_url = "mqtt://" + line.removeprefix("mosquitto at ").split()[0]
        elif line.startswith("serving ") and " at " in line:
            base_url = line.rsplit(" at ", 1)[1].strip()
        if base_url is not None and (mqtt_url is not None or not mqtt):
            threading.Thread(target=process.stdout.read, daemon=True).start()
            break
    return base_url, mqtt_url
