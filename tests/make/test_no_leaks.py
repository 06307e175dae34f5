"""The session's leak check (tests/conftest.py, ``no_process_left_behind``) catches a process a test leaves behind:
an orphan re-parented to init and listening on loopback, like the replay server ``make test`` once leaked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from openf1_replay.snapshot import SnapshotWriter
from tests.conftest import ROOT, describe_process, run_group, session_processes, stop_all

# a child that starts a server on a free loopback port in a grandchild, prints the grandchild's PID and exits at
# once: the grandchild is orphaned (re-parented to init), as a replay server whose parent died would be
ORPHAN_SERVER = textwrap.dedent(
    """
    import subprocess, sys
    server = "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); time.sleep(600)"
    quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(subprocess.Popen([sys.executable, "-c", server], start_new_session=True, **quiet).pid, flush=True)
    """
)


def start_orphan_server() -> psutil.Process:
    child = subprocess.run([sys.executable, "-c", ORPHAN_SERVER], capture_output=True, text=True, timeout=60)
    orphan = psutil.Process(int(child.stdout))
    deadline = 50
    while not any(c.status == psutil.CONN_LISTEN for c in orphan.net_connections(kind="inet")) and deadline:
        psutil.wait_procs([orphan], timeout=0.1)
        deadline -= 1
    return orphan


def test_an_orphaned_server_is_found_and_named(no_process_left_behind: str) -> None:
    mark = no_process_left_behind
    orphan = start_orphan_server()
    try:
        assert orphan.ppid() != os.getpid(), "orphaned: no longer pytest's child"
        found = {process.pid: process for process in session_processes(mark)}
        assert orphan.pid in found, "the check finds a process the session started, even re-parented"
        named = describe_process(found[orphan.pid])
        assert named.startswith(f"PID {orphan.pid} (parent {orphan.ppid()}, listening on 127.0.0.1:")
        assert "time.sleep(600)" in named
    finally:
        orphan.kill()
        psutil.wait_procs([orphan], timeout=10)
    assert orphan.pid not in {process.pid for process in session_processes(mark)}


def test_a_test_that_leaks_a_process_fails_the_run(tmp_path: Path) -> None:
    """A pytest run of one passing test that leaks a server: the run fails naming it, and the server is stopped."""
    pid_file = tmp_path / "leaked.pid"
    (tmp_path / "test_leaky.py").write_text(
        textwrap.dedent(
            f"""
            import subprocess, sys
            from pathlib import Path

            def test_passes_but_leaks():
                child = subprocess.run([sys.executable, "-c", {ORPHAN_SERVER!r}], capture_output=True, text=True)
                Path({str(pid_file)!r}).write_text(child.stdout)
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    leaked = int(pid_file.read_text())
    try:
        assert run.returncode == 1, run.stdout + run.stderr
        assert "1 passed, 1 error" in run.stdout, run.stdout
        assert "1 processes started by the tests were still running at the end (now stopped)" in run.stdout
        assert f"PID {leaked} (parent " in run.stdout and "listening on 127.0.0.1:" in run.stdout
        assert not psutil.pid_exists(leaked) or psutil.Process(leaked).status() == psutil.STATUS_ZOMBIE
    finally:
        if psutil.pid_exists(leaked):
            psutil.Process(leaked).kill()


@pytest.fixture
def tiny_snapshot(tmp_path: Path) -> Path:
    folder = tmp_path / "snapshot"
    with SnapshotWriter(folder) as writer:
        writer.write("meetings", [{"meeting_key": 1, "year": 2025, "meeting_name": "Test Grand Prix"}])
        writer.write("sessions", [{"session_key": 11, "meeting_key": 1, "year": 2025, "session_name": "Race"}])
    return folder


def servers_of(snapshot: Path, mark: str) -> list[psutil.Process]:
    """The session's replay servers serving ``snapshot`` (waiting a little for one being started)."""
    for _ in range(50):
        found = [
            process
            for process in session_processes(mark)
            if "openf1_replay.server" in process.cmdline() and str(snapshot) in process.cmdline()
        ]
        if found:
            return found
        psutil.wait_procs([], timeout=0.1)
    return []


@pytest.mark.slow
def test_a_timed_out_make_stops_its_recipe_and_server(tiny_snapshot: Path, no_process_left_behind: str) -> None:
    """``make serve`` (a replay server in make's recipe) timed out. ``subprocess.run`` kills make alone: its
    server goes on, re-parented and listening on 127.0.0.1 (what ``make test`` was seen to leave); ``run_group``
    stops them all."""
    mark = no_process_left_behind
    command = ["make", "serve", f"SNAPSHOT={tiny_snapshot}", "PORT=0"]
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(command, cwd=ROOT, capture_output=True, timeout=8)
    orphans = servers_of(tiny_snapshot, mark)
    try:
        assert len(orphans) == 1, "subprocess.run's timeout leaves make's server running"
        assert orphans[0].ppid() != os.getpid()
    finally:
        stop_all(orphans)

    with pytest.raises(subprocess.TimeoutExpired):
        run_group(command, timeout=8)
    assert servers_of(tiny_snapshot, mark) == [], "run_group's timeout stops the whole recipe"


# a stand-in for pytest: starts a server as tests do (die_with_parent), prints its PID, waits to be killed
PARENT_OF_SERVER = textwrap.dedent(
    """
    import subprocess, sys, time
    from tests.conftest import die_with_parent
    server = "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); time.sleep(600)"
    print(subprocess.Popen([sys.executable, "-c", server], preexec_fn=die_with_parent).pid, flush=True)
    time.sleep(600)
    """
)


def still_running(process: psutil.Process, seconds: float) -> bool:
    """Whether ``process`` is still running (not gone, not a zombie) after up to ``seconds``."""
    for _ in range(int(seconds * 10)):
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.1)
    return True


def test_a_server_started_by_a_test_dies_with_pytest() -> None:
    """kill -9 of the test process (a CI timeout) takes the servers it started with it: no orphan listens on."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT_OF_SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        server = psutil.Process(int(parent.stdout.readline()))
        parent.kill()
        parent.wait()
        alive = still_running(server, seconds=10)
    finally:
        parent.kill()
        parent.wait()
    if alive:
        stop_all([server])
    assert not alive, "the server outlived the process that started it"


def test_pythons_own_helper_of_the_pytest_process_is_not_a_leak(no_process_left_behind: str) -> None:
    """multiprocessing's resource tracker (started in pytest's process by a library: dbt run in process by the
    transform tests) reads a pipe from pytest and exits with it: the check must not report it."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    tracker = psutil.Process(resource_tracker._resource_tracker._pid)
    assert tracker.is_running() and tracker.ppid() == os.getpid()
    assert tracker.pid not in {process.pid for process in session_processes(no_process_left_behind)}
