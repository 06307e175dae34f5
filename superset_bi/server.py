"""Set up Superset in its working folder and serve it on 127.0.0.1: secrets, metadata DB, admin, dashboard.

The working folder (``warehouse/superset/`` by default, never committed) holds the SQLite metadata DB, the
generated SECRET_KEY and admin password (mode 0600) and the logs of each step. The first start runs
``superset db upgrade`` and ``superset init`` (about a minute); every start provisions again (provision.py), so
the registered database always points at the published copy given, and serves with gunicorn.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from superset_bi import venv
from superset_bi.provision import ADMIN
from superset_bi.venv import SupersetError

CONFIG = Path(__file__).with_name("superset_config.py")
PROVISION = Path(__file__).with_name("provision.py")
HOST = "127.0.0.1"
START_TIMEOUT_S = 120
PR_SET_PDEATHSIG = 1  # prctl(2)
Say = Callable[[str], None]


@dataclass(frozen=True)
class Running:
    """A started Superset: where it listens, its admin login and the dashboard's charts {uuid: id}."""

    url: str
    user: str
    password: str
    charts: dict[str, int]
    log: Path
    pid: int


def _secret(path: Path, length: int) -> str:
    """A generated secret kept in the working folder (created once, readable by its owner only)."""
    if not path.is_file():
        path.write_text(secrets.token_urlsafe(length) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def _environment(home: Path, password: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SUPERSET_", "FLASK_"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        SUPERSET_CONFIG_PATH=str(CONFIG),
        OPENF1_SUPERSET_HOME=str(home),
        OPENF1_SUPERSET_ADMIN_PASSWORD=password,
        SCARF_ANALYTICS="false",
        DO_NOT_TRACK="1",
    )
    return env


def _step(command: list[str], home: Path, log_name: str, what: str, say: Say, password: str = "") -> str:
    """Run one setup step of .venv-superset with a progress line; its output goes to logs/<log_name>.log."""
    say(f"Superset: {what} ...")
    started = time.monotonic()
    log = home / "logs" / f"{log_name}.log"
    result = subprocess.run(command, cwd=home, env=_environment(home, password), capture_output=True, text=True)
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        errors = [line.strip() for line in (result.stderr + result.stdout).splitlines() if "Error" in line]
        cause = errors[-1] if errors else f"exit {result.returncode}"
        raise SupersetError(f"{what} failed: {cause[:300]} (full output: {log}; `rm -rf {home}` starts afresh)")
    say(f"Superset: {what} done in {time.monotonic() - started:.0f} s")
    return result.stdout


def prepare(published: Path, home: Path, say: Say = print) -> tuple[str, dict[str, int]]:
    """Install (once), initialise (once per lock) and provision Superset; return the admin password and charts."""
    published = published.resolve()
    if not published.is_file():
        raise SupersetError(
            f"no published copy at {published}: run `make build` (or `make publish`) first, or give PUBLISHED=<file>"
        )
    venv.ensure_venv(say)
    home = home.resolve()
    (home / "logs").mkdir(parents=True, exist_ok=True)
    _secret(home / "secret_key", 42)
    password = _secret(home / "admin_password", 12)
    initialised = home / ".initialised"
    digest = hashlib.sha256(venv.LOCK.read_bytes()).hexdigest()
    if not (initialised.is_file() and initialised.read_text().strip() == digest):
        superset = str(venv.program("superset"))
        _step([superset, "db", "upgrade"], home, "db-upgrade", f"db upgrade (metadata DB {home}/superset.db)", say)
        _step([superset, "init"], home, "init", "init (roles and permissions)", say)
        initialised.write_text(digest + "\n")
    output = _step(
        [str(venv.python()), str(PROVISION), "--published", str(published)],
        home,
        "provision",
        f"registering {published.name} (read-only), its datasets and the season dashboard",
        say,
        password,
    )
    return password, json.loads(output.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _check_port(port: int) -> None:
    with socket.socket() as probe:
        # as gunicorn binds: a port left in TIME_WAIT by the last run is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise SupersetError(f"port {port} on {HOST} is in use: give another, e.g. PORT={port + 1}") from None


def _die_with_parent() -> None:
    """On Linux, have the kernel stop the server if its parent dies (even by kill -9)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(home: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log = home / "logs" / "server.log"
    command = [
        str(venv.program("gunicorn")),
        "--bind", f"{HOST}:{port}",
        "--workers", "1",
        "--worker-class", "gthread",
        "--threads", "4",
        "--timeout", "120",
        "--graceful-timeout", "5",
        "superset.app:create_app()",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=home,
            env=_environment(home),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
            raise SupersetError(f"Superset stopped at start: {lines[-1][:300] if lines else 'no output'} (see {log})")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return process, log
        except OSError:
            time.sleep(0.5)
    _stop(process)
    raise SupersetError(f"Superset did not answer on {HOST}:{port} within {START_TIMEOUT_S} s (see {log})")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn and its worker (its own process group), then reap it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # a worker left behind by a master that died first
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def running_superset(published: Path, home: Path, port: int = 0, say: Say = print) -> Iterator[Running]:
    """Superset provisioned on ``published`` and served on 127.0.0.1 (a free port when 0); stopped on exit."""
    port = port or free_port()
    _check_port(port)
    password, charts = prepare(published, home, say)
    process, log = _start(home.resolve(), port)
    try:
        yield Running(f"http://{HOST}:{port}", ADMIN, password, charts, log, process.pid)
    finally:
        _stop(process)
