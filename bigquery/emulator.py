"""A local BigQuery for tests: bqemulator (DuckDB behind BigQuery's REST API) on a free 127.0.0.1 port.

``python -m bigquery.emulator`` serves one in the foreground until Ctrl-C and prints the variables that point
the loader and dbt at it; ``python -m bigquery.emulator --lock`` re-pins its environment. The context manager
``running_emulator`` does the same for ``python -m bigquery.e2e``.

The emulator lives in its own virtualenv, ``.venv-bqemulator`` (it pins sqlglot<30.12 and DuckDB 1.5.x, which
.venv cannot hold), installed from ``bigquery/requirements-emulator.lock`` on first use and again whenever the
lock changes. DuckDB's spatial and avro extensions, which bqemulator would download at start, are installed
from their PyPI packages into the emulator's own HOME instead: nothing is fetched at run time.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sidevenv import install_command

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("OPENF1_BQEMULATOR_VENV", ROOT / ".venv-bqemulator"))
LOCK = Path(__file__).with_name("requirements-emulator.lock")
SERVE = Path(__file__).with_name("serve_emulator.py")
# What the lock pins (python -m bigquery.emulator --lock resolves these again).
REQUIREMENTS = ["bqemulator==1.4.0", "numpy", "duckdb-extensions", "duckdb-extension-spatial", "duckdb-extension-avro"]
EXTENSIONS = ("spatial", "avro")
PROJECT = "openf1-emulator"
START_TIMEOUT_S = 60
PR_SET_PDEATHSIG = 1  # prctl(2)


class EmulatorError(RuntimeError):
    """The emulator could not be installed or started; the message says why in one line."""


def _python() -> Path:
    return VENV / "bin" / "python"


def _home() -> Path:
    """The emulator's HOME: DuckDB looks for its extensions under $HOME/.duckdb."""
    return VENV / "home"


def _lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def ensure_venv(say=print) -> Path:
    """Create or update .venv-bqemulator from the lock (seconds when up to date); return its python."""
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text().strip() == _lock_digest() and _python().exists():
        return _python()
    say(f"Installing the BigQuery emulator into {VENV.name} (once; half a minute with uv)")
    started = time.monotonic()
    if not _python().exists():
        _run([_base_python(), "-m", "venv", str(VENV)], "could not create the emulator's virtualenv")
    _run(install_command(LOCK, _python()), "could not install bigquery/requirements-emulator.lock")
    # INSTALL from the packaged files (pip installed them) into the emulator's HOME, as bqemulator's own
    # INSTALL at start would from the network.
    code = (
        "import duckdb, duckdb_extensions\n"
        "connection = duckdb.connect()\n"
        f"for name in {EXTENSIONS!r}:\n"
        "    duckdb_extensions.import_extension(name, con=connection)\n"
        "    connection.execute(f'LOAD {name}')\n"
    )
    _home().mkdir(parents=True, exist_ok=True)
    _run([str(_python()), "-c", code], "could not install DuckDB's spatial/avro extensions", env=_environment())
    stamp.write_text(_lock_digest() + "\n")
    say(f"  installed in {time.monotonic() - started:.0f} s")
    return _python()


def _base_python() -> str:
    """The interpreter to build the venv from: this one's base, not .venv's (a venv inside a venv works, but
    ties the emulator to .venv's lifetime)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BQEMU_", "PYTHON"))}
    env["HOME"] = str(_home())
    env.pop("VIRTUAL_ENV", None)
    return env


def _run(command: list[str], failure: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).strip().splitlines() if "is ignored" not in line]
        raise EmulatorError(f"{failure}: {lines[-1] if lines else f'exit {result.returncode}'}")


def _die_with_parent() -> None:
    """On Linux, have the kernel stop the emulator if its parent dies (even by kill -9)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class Running:
    """A started emulator: where it listens and the environment that points clients at it."""

    url: str
    project: str
    log: Path
    credentials: Path

    def client_environment(self) -> dict[str, str]:
        """Variables for the loader (google-cloud-bigquery, through dlt) and dbt (profiles.yml, `bigquery`)."""
        return {
            # google-cloud-bigquery (dlt has no endpoint setting of its own) honours this, with its scheme.
            "BIGQUERY_EMULATOR_HOST": self.url,
            # dbt-bigquery: profiles.yml's `bigquery` output.
            "BIGQUERY_API_ENDPOINT": self.url,
            "BIGQUERY_METHOD": "oauth-secrets",
            "BIGQUERY_TOKEN": "emulator",
            "BIGQUERY_PROJECT": self.project,
            "BIGQUERY_LOCATION": "EU",
            # dlt: Google's default credentials, a user credential that never expires (else google-auth
            # would try to refresh it against Google and hang without a network).
            "GOOGLE_APPLICATION_CREDENTIALS": str(self.credentials),
            # bqemulator 1.4.0 cannot read gzip-compressed JSONL load files.
            "NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION": "true",
        }


def write_fake_credentials(folder: Path, project: str = PROJECT) -> Path:
    """An ``authorized_user`` credentials file whose token expires in 2999: nothing ever refreshes it."""
    path = folder / "emulator-credentials.json"
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "emulator",
                "client_secret": "emulator",
                "refresh_token": "emulator",
                "token": "emulator",
                "expiry": "2999-01-01T00:00:00Z",
                "quota_project_id": project,
            }
        )
    )
    return path


@contextmanager
def running_emulator(workdir: Path, say=print, project: str = PROJECT) -> Iterator[Running]:
    """Start an in-memory emulator on free 127.0.0.1 ports, yield it once ready, always stop it."""
    python = ensure_venv(say)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "bqemulator.log"
    port = _free_port()
    command = [str(python), str(SERVE), "start", "--rest-host", "127.0.0.1", "--rest-port", str(port)]
    command += ["--grpc-host", "127.0.0.1", "--grpc-port", "0", "--ephemeral", "--project", project]
    command += ["--log-level", "warning", "--log-format", "json"]
    with (
        tempfile.TemporaryDirectory(prefix="openf1-bq-credentials-") as secrets,
        open(log_path, "w") as log,
    ):
        process = subprocess.Popen(
            command,
            stdout=log,  # a pipe nobody reads would fill up and stall the emulator
            stderr=subprocess.STDOUT,
            text=True,
            env=_environment(),
            cwd=workdir,  # bqemulator reads a .bqemu.toml from its working directory: never ours by accident
            preexec_fn=_die_with_parent,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(process, url, log_path)
            say(f"BigQuery emulator (bqemulator) listening on {url}, project {project}")
            yield Running(url, project, log_path, write_fake_credentials(Path(secrets), project))
        finally:
            _stop(process)


def _free_port() -> int:
    """A port nothing listens on now (the emulator binds it a second later; a clash fails loudly)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(process: subprocess.Popen[str], url: str, log_path: Path) -> None:
    """Until /readyz answers ok (DuckDB and the catalog are up)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"the emulator exited at start ({_last_error(log_path)}); log: {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                if json.load(answer).get("status") == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise EmulatorError(f"the emulator was not ready within {START_TIMEOUT_S} s; log: {log_path}")


def _last_error(log_path: Path) -> str:
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def relock() -> None:
    """Resolve REQUIREMENTS in a scratch venv and write the full freeze to the lock."""
    scratch = Path(tempfile.mkdtemp(prefix="openf1-bqemulator-lock-"))
    try:
        _run([_base_python(), "-m", "venv", str(scratch)], "could not create a scratch virtualenv")
        pip = [str(scratch / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "install", "--quiet", *REQUIREMENTS], "could not resolve the emulator's requirements")
        frozen = subprocess.run([*pip, "freeze"], capture_output=True, text=True, check=True).stdout
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    header = LOCK.read_text().splitlines()[:3]
    LOCK.write_text("\n".join(header) + "\n" + frozen)
    print(f"{LOCK.relative_to(ROOT)} rewritten")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bigquery.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--lock", action="store_true", help="re-pin bigquery/requirements-emulator.lock and exit")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill PID stops it as Ctrl-C does
    try:
        if args.lock:
            relock()
            return 0
        with (
            tempfile.TemporaryDirectory(prefix="openf1-bqemulator-") as workdir,
            running_emulator(Path(workdir)) as running,
        ):
            print(f"Point the loader and dbt at it (Ctrl-C stops it; its log: {running.log}):")
            for name, value in running.client_environment().items():
                print(f"  export {name}={value}")
            while True:
                time.sleep(3600)
    except EmulatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
