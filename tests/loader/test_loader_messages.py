"""The loader's failures a user meets are one line each: cause and fix, one ``error:`` prefix, no temporary port.

Each case runs the loader's command line as the Makefile does and reads what it prints on stderr.
"""

from __future__ import annotations

import gzip
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, real_snapshot, run_module

PIPELINE = "dlt_pipelines.pipeline"
TEMPORARY_PORT = re.compile(r"127\.0\.0\.1:\d+")


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _copy(snapshot: Path, target: Path) -> Path:
    shutil.copytree(snapshot, target)
    return target


def test_a_damaged_snapshot_line_is_named_once_with_what_to_do(tmp_path: Path) -> None:
    """A snapshot line that is not JSON: the file, its line and the fix, behind one ``error:`` (the replay
    server's own prefix is not repeated) and without the JSON parser's inner 'line 1 column 1' position."""
    snapshot = _copy(real_snapshot("2025-abu-dhabi-race"), tmp_path / "snapshot")
    laps = snapshot / "laps.jsonl.gz"
    lines = gzip.decompress(laps.read_bytes()).decode().splitlines(keepends=True)
    lines[2] = "<html>502 Bad Gateway</html>\n"  # what a recorder saving an error page would leave
    laps.write_bytes(gzip.compress("".join(lines).encode()))
    warehouse = tmp_path / "w.duckdb"
    result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse), timeout=120)
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert line.startswith("error: ") and "error: error" not in line
    assert f"{laps}: line 3 " in line
    assert "<html>502 Bad Gateway" in line  # what is there instead of a record
    assert "line 1 column" not in line  # the parser's position inside the line reads like another line number
    assert "make sample" in line and "make record" in line
    assert not warehouse.exists()


def test_messages_name_the_snapshot_not_the_replay_servers_temporary_port(tmp_path: Path) -> None:
    snapshot = real_snapshot("2025-abu-dhabi-race")
    result = run_module(PIPELINE, "--source", str(snapshot), "--meeting", "1", "--warehouse", str(tmp_path / "w.db"))
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "no sessions match MEETING=1" in line
    assert str(snapshot) in line
    assert not TEMPORARY_PORT.search(line), line


# ------------------------------------------------------------------------------------ a read-only folder


@contextmanager
def _read_only(folder: Path) -> Iterator[list[str]]:
    """The command prefix under which ``folder`` cannot be written to. As a user: its permissions (0o555).
    As root, whom permissions do not stop (CI containers): a read-only bind mount of it in a mount namespace of
    the command's own (unshare), the very 'Read-only file system' of a read-only volume; skip where that fails."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield []
        finally:
            folder.chmod(0o755)
        return
    quoted = shlex.quote(str(folder))
    read_only = f"mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted}"
    probe = ["unshare", "--mount", "sh", "-c", f"{read_only} && ! touch {quoted}/.probe"]
    if shutil.which("unshare") is None or subprocess.run(probe, capture_output=True).returncode != 0:
        pytest.skip("running as root, where permissions do not stop writes, and unshare cannot mount read-only")
    yield ["unshare", "--mount", "sh", "-c", f'{read_only} && exec "$@"', "-"]


@pytest.mark.parametrize(
    "relative",
    [
        pytest.param("openf1.duckdb", id="file-in-read-only-folder"),
        pytest.param("new/openf1.duckdb", id="new-folder-under-read-only-folder"),
    ],
)
def test_a_warehouse_in_a_read_only_folder_is_one_line(tmp_path: Path, relative: str) -> None:
    folder = tmp_path / "read-only"
    warehouse = folder / relative
    snapshot = real_snapshot("2025-abu-dhabi-race")
    with _read_only(folder) as prefix:
        command = [*prefix, sys.executable, "-m", PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert line.startswith("error: cannot write in ")
    assert str(folder) in line
    assert "WAREHOUSE=" in line  # the fix: a warehouse file in a folder one can write to
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------ a warehouse in use


@contextmanager
def _held(warehouse: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``warehouse`` open for writing (as a BI tool or a shell would)."""
    script = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(120)"
    process = subprocess.Popen([sys.executable, "-c", script, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "open"
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_warehouse_held_by_another_process_is_one_line_naming_it(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    snapshot = real_snapshot("2025-abu-dhabi-race")
    with _held(warehouse) as holder:
        result = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse), timeout=120)
    assert result.returncode == 1
    line = _one_line(result.stderr)
    # the Makefile's guard (serving/holder.py) words it the same way
    assert line.startswith(f"error: {warehouse} is in use by another process (PID {holder.pid}: ")
    assert "import duckdb" in line  # the holder's command line, not just "python3"
    assert f"kill {holder.pid}" in line and "run the command again" in line


def test_the_makefile_guard_words_a_held_warehouse_as_the_loader_does(tmp_path: Path) -> None:
    """One sentence, one home (the loader's): the guard adds only where readers belong."""
    from dlt_pipelines.warehouse import held_message
    from serving.holder import lock_holder_message

    duckdb_says = 'Could not set lock on file "w.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 1)'
    warehouse = tmp_path / "w.duckdb"
    assert lock_holder_message(warehouse, duckdb_says) == f"error: {held_message(warehouse, duckdb_says)}"
    assert held_message(warehouse, "IO Error: No space left on device") is None


def test_a_second_load_of_one_warehouse_stops_at_once_naming_the_first(tmp_path: Path) -> None:
    """Two loads never share dlt's working folder, even started outside make (whose build lock stops a second
    build earlier): the second stops in one line before it fetches anything."""
    warehouse = tmp_path / "w.duckdb"
    folder = tmp_path / ".dlt" / "w"
    folder.mkdir(parents=True)
    code = (
        "import sys, pathlib; from dlt_pipelines import warehouse; "
        "warehouse.prepare(pathlib.Path(sys.argv[1])); print('held', flush=True); sys.stdin.read()"
    )
    first = subprocess.Popen(
        [sys.executable, "-c", code, str(warehouse)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline().strip() == "held"
        second = run_module(PIPELINE, "--source", "/nonexistent-never-read", "--warehouse", str(warehouse), timeout=120)
    finally:
        first.stdin.close()
        first.wait(timeout=30)
    assert second.returncode == 1
    line = _one_line(second.stderr)
    assert line.startswith(f"error: another load of {warehouse} is running (PID {first.pid}: "), line
    assert "wait for it to finish" in line
    assert sorted(p.name for p in folder.iterdir()) == [".run-lock"], "nothing of the second load was written"
    # and once the first is gone, the folder is free again
    again = run_module(PIPELINE, "--source", "/nonexistent-never-read", "--warehouse", str(warehouse), timeout=120)
    assert "another load" not in again.stderr
