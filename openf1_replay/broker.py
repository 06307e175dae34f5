"""A throwaway Mosquitto MQTT broker on loopback (tests, ``make serve ... MQTT=1``).

    with Mosquitto() as broker:            # TCP and websockets listeners on free loopback ports
        broker.add_user("me@example.com", token)
        ... mqtt clients connect to broker.host:broker.port (or ws://host:ws_port/mqtt) ...

Anonymous clients are refused (``allow_anonymous false``); ``publisher`` is a user created for the replay
server. ``available()`` says why a broker cannot run (None: it can); ``ensure_installed()`` installs Debian's
``mosquitto`` with apt-get when running as root (``python -m openf1_replay.broker --install`` on the command
line: exit 0 when mosquitto is there). ``python -m openf1_replay.broker -- SERVER ARGS...`` starts a broker,
then the live replay server publishing to it (``make serve ... LIVE=1 MQTT=1``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SEARCH_PATH = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
INSTALL_HINT = "install it: apt-get install -y mosquitto (as root), or call openf1_replay.broker.ensure_installed()"
START_TIMEOUT_S = 10.0


def find(program: str) -> str | None:
    """``mosquitto`` / ``mosquitto_passwd`` on PATH or in the usual sbin folders."""
    found = shutil.which(program)
    if found:
        return found
    for folder in SEARCH_PATH:
        candidate = Path(folder) / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def available() -> str | None:
    """Why no broker can be started here (one line naming the fix), or None when it can."""
    for program in ("mosquitto", "mosquitto_passwd"):
        if find(program) is None:
            return f"{program} not found; {INSTALL_HINT}"
    return None


def ensure_installed() -> str | None:
    """Install Debian's mosquitto if missing and we are root (apt-get update + install); the reason when it
    still is not available, else None."""
    if available() is None:
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return available()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "mosquitto"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return f"{' '.join(command)} failed ({last}); {INSTALL_HINT}"
    return available()


def set_password(passwd_file: str | Path, username: str, password: str, broker_pid: int | None = None) -> None:
    """Add or replace ``username`` in a mosquitto password file, then HUP the broker so it re-reads it."""
    program = find("mosquitto_passwd")
    if program is None:
        raise RuntimeError(f"mosquitto_passwd not found; {INSTALL_HINT}")
    done = subprocess.run(
        [program, "-b", str(passwd_file), username, password], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"mosquitto_passwd failed on {passwd_file} ({done.stderr.strip() or done.stdout.strip()})")
    if broker_pid:
        with contextlib.suppress(ProcessLookupError):  # a broker that went away re-reads the file when restarted
            os.kill(broker_pid, signal.SIGHUP)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class Mosquitto:
    """A mosquitto process with its own config, password file and free loopback ports; a context manager."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        publisher: tuple[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.host = host
        self.preexec_fn = preexec_fn  # e.g. tests.conftest.die_with_parent
        self.publisher = publisher or ("openf1-replay", secrets.token_urlsafe(16))
        self.port = 0
        self.ws_port = 0
        self.folder = Path(tempfile.mkdtemp(prefix="openf1-mosquitto-"))
        self.passwd_file = self.folder / "passwd"
        self.config_file = self.folder / "mosquitto.conf"
        self.log_file = self.folder / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.ws_port}/mqtt"

    def add_user(self, username: str, password: str) -> None:
        """A login for clients (the broker re-reads the file at once)."""
        set_password(self.passwd_file, username, password, self.pid)

    def start(self) -> Mosquitto:
        reason = available()
        if reason is not None:
            raise RuntimeError(reason)
        self.passwd_file.touch(mode=0o600)
        set_password(self.passwd_file, *self.publisher)
        for _ in range(3):  # a free port can be taken between probing and binding: try again
            self.port, self.ws_port = free_port(self.host), free_port(self.host)
            if self._launch():
                return self
        tail = self.log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no log"]
        raise RuntimeError(f"mosquitto did not start ({tail[0]}); see {self.log_file}")

    def restart(self, down_s: float = 0.0) -> None:
        """Stop the broker, wait ``down_s``, start it again on the same ports with the same users (a broker
        that went away and came back: clients reconnect)."""
        self._kill()
        time.sleep(down_s)
        if not self._launch():
            raise RuntimeError(f"mosquitto did not restart on {self.host}:{self.port}; see {self.log_file}")

    def _launch(self) -> bool:
        """Write the config for the chosen ports and start mosquitto; whether it listens on both."""
        self.config_file.write_text(
            "# written by openf1_replay.broker: a throwaway broker on loopback\n"
            # run as root, mosquitto would switch to the user "mosquitto", who cannot read this folder
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            "allow_anonymous false\n"
            f"password_file {self.passwd_file}\n"
            "persistence false\n"
            "log_dest stderr\n"
            f"listener {self.port} {self.host}\n"
            f"listener {self.ws_port} {self.host}\n"
            "protocol websockets\n"
        )
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                [str(find("mosquitto")), "-c", str(self.config_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self.preexec_fn,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            if _accepts(self.host, self.port) and _accepts(self.host, self.ws_port):
                return True
            time.sleep(0.05)
        self._kill()
        return False

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        self._kill()
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Start a broker, then ``python -m openf1_replay.server ARGS --mqtt ...`` publishing to it, until Ctrl-C."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--install"]:  # CI: python -m openf1_replay.broker --install
        reason = ensure_installed()
        print(
            f"error: {reason}" if reason else f"mosquitto: {find('mosquitto')}",
            file=sys.stderr if reason else sys.stdout,
        )
        return 1 if reason else 0
    if args[:1] == ["--"]:
        args = args[1:]
    reason = available()
    if reason is not None:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    stop = {"signal": False}
    with Mosquitto() as broker:
        user, password = broker.publisher
        print(
            f"mosquitto at {broker.host}:{broker.port} (websockets {broker.ws_url}); log in with your REST user and "
            f"a token from POST /token as password, e.g.\n  mosquitto_sub -h {broker.host} -p {broker.port} "
            "-u USER -P TOKEN -t 'v1/#' -v   (mosquitto-clients), or paho-mqtt",
            flush=True,
        )
        command = [sys.executable, "-m", "openf1_replay.server", *args, "--mqtt", f"{broker.host}:{broker.port}"]
        command += ["--mqtt-username", user, "--mqtt-password", password]
        command += ["--mqtt-passwd-file", str(broker.passwd_file), "--mqtt-broker-pid", str(broker.pid)]
        server = subprocess.Popen(command)

        def forward(signum: int, _: object) -> None:
            stop["signal"] = True
            server.send_signal(signum)

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, forward)
        code = server.wait()
    return 0 if stop["signal"] else code


if __name__ == "__main__":
    sys.exit(main())
