"""One build at a time per warehouse: the second build, load, transform, publish or docs stops at once in one line
naming the first, touches nothing, and the lock dies with its holder (serving/buildlock.py, the Makefile)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from serving import buildlock
from tests.conftest import ROOT
from tests.make.test_makefile import run_make


def _hold(lock: Path, warehouse: Path, seconds: int = 60) -> subprocess.Popen[bytes]:
    """A build stand-in: holds ``lock`` for ``seconds`` the way make build does."""
    command = [sys.executable, "-m", "serving.buildlock", str(lock), "--warehouse", str(warehouse)]
    holder = subprocess.Popen(
        [*command, "--label", "make build", "--", "sleep", str(seconds)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != buildlock.HELD_ENV},
    )
    for _ in range(100):
        if buildlock.is_held(lock) and buildlock.read_holder(lock):
            return holder
        time.sleep(0.05)
    holder.kill()
    raise AssertionError("the stand-in never took the lock")


def _errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr without make's own closing line (make: *** [Makefile:..] Error 75)."""
    return [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("make: ***")]


@pytest.mark.parametrize("target", ["build", "load", "transform", "publish", "docs", "build DESTINATION=duckdb"])
def test_a_second_build_stops_at_once_in_one_line_naming_the_first(tmp_path: Path, target: str) -> None:
    warehouse = tmp_path / "busy.duckdb"
    holder = _hold(tmp_path / ".busy.build-lock", warehouse)
    try:
        started = time.monotonic()
        done = run_make(*target.split(), f"WAREHOUSE={warehouse}")
        took = time.monotonic() - started
    finally:
        holder.terminate()
        holder.wait(timeout=10)
    assert done.returncode != 0
    (line,) = _errors(done)
    assert f"{warehouse} is being built by PID {holder.pid} (make build, since " in line, line
    assert "wait for it to finish" in line and "WAREHOUSE=" in line
    assert took < 30, f"it waited {took:.0f} s instead of stopping at once"
    # it touched nothing: no warehouse, no dlt working folder, no dbt artefacts of its own
    assert sorted(p.name for p in tmp_path.iterdir()) == [".busy.build-lock"]
    assert "Loading" not in done.stdout + done.stderr


def test_the_lock_dies_with_its_holder_even_by_kill_9(tmp_path: Path) -> None:
    lock = tmp_path / ".w.build-lock"
    holder = _hold(lock, tmp_path / "w.duckdb")
    (step,) = Path(f"/proc/{holder.pid}/task/{holder.pid}/children").read_text().split()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    # the command it ran inherited the lock: a build's steps hold it to their end, then nobody does
    assert buildlock.is_held(lock)
    os.kill(int(step), signal.SIGKILL)
    for _ in range(100):
        if not buildlock.is_held(lock):
            break
        time.sleep(0.05)
    assert not buildlock.is_held(lock)
    descriptor = buildlock.acquire(lock, "make load")
    try:
        assert buildlock.read_holder(lock).command == "make load"  # type: ignore[union-attr]
    finally:
        os.close(descriptor)


def test_the_steps_of_a_build_run_under_its_lock_without_taking_it_again(tmp_path: Path) -> None:
    lock = tmp_path / ".w.build-lock"
    inner = [sys.executable, "-m", "serving.buildlock", str(lock), "--warehouse", "w", "--", "true"]
    outer = [sys.executable, "-m", "serving.buildlock", str(lock), "--warehouse", "w", "--", *inner]
    env = {k: v for k, v in os.environ.items() if k != buildlock.HELD_ENV}
    assert subprocess.run(outer, cwd=ROOT, env=env, timeout=60).returncode == 0
    # while an unrelated command holding the same lock makes the nested one stop
    holder = _hold(lock, tmp_path / "w.duckdb")
    try:
        done = subprocess.run(inner, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    finally:
        holder.terminate()
        holder.wait(timeout=10)
    assert done.returncode == 75 and "is being built by PID" in done.stderr


def test_a_warehouse_in_a_folder_nobody_can_write_is_one_line(tmp_path: Path) -> None:
    if not Path("/sys").is_dir():
        pytest.skip("needs /sys (a folder even root cannot create files in)")
    done = run_make("build", "WAREHOUSE=/sys/openf1-test.duckdb")
    assert done.returncode != 0
    (line,) = _errors(done)
    assert line.startswith("error: cannot write in /sys (") and "give a WAREHOUSE in a folder you can write to" in line
