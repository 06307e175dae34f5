"""Shared pytest fixtures: paths to the real OpenF1 snapshots and helpers to run the project's commands.

No test leaves a process behind: the session marks its environment (``OPENF1_PYTEST_SESSION``), which every
command it starts inherits, and at its end fails the run naming any process still alive that carries the mark
or descends from pytest (an orphan re-parented to init included), then stops them.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPENF1_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "openf1-real"
# make test-dbt's sample warehouse and dbt artefacts (the Makefile's TEST_WAREHOUSE), and one of pytest's own
TEST_DBT_SAMPLE = ROOT / "warehouse" / "test" / "sample.duckdb", ROOT / "target" / "warehouse_test_sample"
PYTEST_SAMPLE = ROOT / "warehouse" / "test" / "pytest-sample.duckdb", ROOT / "target" / "warehouse_test_pytest-sample"
# what a dbt build reads besides the warehouse: a build older than any of them may not be today's models
DBT_INPUTS = ("models", "macros", "seeds", "tests/dbt", "dbt_project.yml", "profiles.yml")


# ---- no process left behind ---------------------------------------------------------------------------------
SESSION_MARK = "OPENF1_PYTEST_SESSION"
LEAK_GRACE_S = 5.0  # a process being stopped as the session ends gets this long to exit
PR_SET_PDEATHSIG = 1  # prctl(2)


# loaded once here: the child calls it between fork and exec, where loading a library is best avoided
LIBC = ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent() -> None:
    """``preexec_fn`` for a server a test starts: Linux stops it (SIGTERM) when the test process dies, even by
    kill -9, so a killed or timed-out pytest leaves no server listening."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(process: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``: the process is gone when this returns."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_group(process: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM to the process group ``process`` leads (started with ``start_new_session``), SIGKILL after
    ``grace_s``: its children and their servers go too, not only the leader."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_group(
    command: list[str], timeout: float | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(command, capture_output=True, text=True)`` from the repo root, in a process group of its
    own: on a timeout or Ctrl-C the whole group is stopped. ``subprocess.run`` kills only its child, so a
    ``make`` timed out left its recipe (a loader and its replay server) running. The group's leader is also
    stopped if pytest dies (``die_with_parent``); make passes the SIGTERM on to its recipe."""
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            stop_group(process)
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _carries(process: psutil.Process, mark: str) -> bool:
    try:
        return mark in process.environ().get(SESSION_MARK, "").split(":")
    except (psutil.Error, OSError):
        return False  # gone, or another user's


def session_processes(mark: str) -> list[psutil.Process]:
    """Live processes this test session started: pytest's descendants, and any process whose environment
    carries ``mark``, alone or among the marks of nested sessions (orphans re-parented to init included);
    never pytest itself nor its ancestors."""
    me = psutil.Process()
    ours = {me.pid, *(parent.pid for parent in me.parents())}
    found = {process.pid: process for process in me.children(recursive=True)}
    for process in psutil.process_iter():
        if process.pid not in found and _carries(process, mark):
            found[process.pid] = process
    alive = []
    for pid, process in sorted(found.items()):
        with contextlib.suppress(psutil.Error):
            if pid not in ours and process.status() != psutil.STATUS_ZOMBIE and not _ends_with(process, me.pid):
                alive.append(process)
    return alive


# Python's own helpers a library starts in the pytest process (multiprocessing's resource tracker, dbt's and
# DuckDB's users): they read a pipe from pytest and exit when it does, so they cannot outlive the session.
PYTEST_HELPERS = ("from multiprocessing.resource_tracker import main", "from multiprocessing.forkserver import main")


def _ends_with(process: psutil.Process, pytest_pid: int) -> bool:
    """Whether ``process`` is one of Python's helpers of the pytest process itself (it ends with pytest)."""
    command = " ".join(process.cmdline())
    return process.ppid() == pytest_pid and any(helper in command for helper in PYTEST_HELPERS)


def describe_process(process: psutil.Process) -> str:
    """``PID n (parent p, listening on 127.0.0.1:8765): command line`` for a leak report."""
    try:
        command = " ".join(process.cmdline()) or process.name()
        listening = sorted(
            f"{connection.laddr.ip}:{connection.laddr.port}"
            for connection in process.net_connections(kind="inet")
            if connection.status == psutil.CONN_LISTEN
        )
        parent = process.ppid()
    except psutil.Error:
        return f"PID {process.pid} (gone)"
    where = f", listening on {', '.join(listening)}" if listening else ""
    return f"PID {process.pid} (parent {parent}{where}): {command[:200]}"


def left_behind(mark: str, grace_s: float = LEAK_GRACE_S) -> list[psutil.Process]:
    """The session's processes still alive after ``grace_s`` (time for those being stopped to exit)."""
    deadline = time.monotonic() + grace_s
    while True:
        alive = session_processes(mark)
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.2)


def stop_all(processes: list[psutil.Process]) -> None:
    """SIGTERM, then SIGKILL for what is still alive 5 s later."""
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=5)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[str]:
    """Mark every process the session starts; at its end, fail naming those still alive (and stop them).

    Set up before any other fixture and torn down after every one, so a fixture's own server is already gone."""
    mark = f"{os.getpid()}-{uuid.uuid4().hex}"
    previous = os.environ.get(SESSION_MARK)
    # a pytest run by a test keeps its caller's mark too: what it leaks is the caller's leak as well
    os.environ[SESSION_MARK] = f"{previous}:{mark}" if previous else mark
    yield mark
    if previous is None:
        os.environ.pop(SESSION_MARK, None)
    else:
        os.environ[SESSION_MARK] = previous
    leaked = left_behind(mark)
    if leaked:
        named = "; ".join(describe_process(process) for process in leaked)
        stop_all(leaked)
        pytest.fail(
            f"{len(leaked)} processes started by the tests were still running at the end (now stopped): {named}"
        )


def real_snapshot(name: str) -> Path:
    """A real OpenF1 snapshot under ../shared/openf1-real, or skip: it is not ours to ship in the repo."""
    path = REAL / name
    if not path.is_dir():
        pytest.skip(f"real OpenF1 data not available at {path} (../shared is absent on this machine)")
    return path


def run_module(
    module: str, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` from the repo root, as the Makefile does (its process group stopped on a
    timeout)."""
    return run_group([sys.executable, "-m", module, *args], timeout=timeout, env={**os.environ, **(env or {})})


def dbt_env(warehouse: Path, target: Path) -> dict[str, str]:
    """The environment the Makefile gives dbt, for a warehouse of a test's own."""
    return {
        "OPENF1_WAREHOUSE": str(warehouse),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def models_built(target: Path) -> list[str]:
    """The models dbt's last run in ``target`` built without error, or [] when it has not finished one."""
    results = target / "run_results.json"
    if not results.is_file():
        return []
    return [
        result["unique_id"]
        for result in json.loads(results.read_text())["results"]
        if result["unique_id"].startswith("model.") and result["status"] == "success"
    ]


def built_after_dbt_inputs(target: Path) -> bool:
    """Whether dbt's last run in ``target`` ended after every model, macro, seed and dbt setting last changed."""
    results = target / "run_results.json"
    if not results.is_file():
        return False
    paths = [ROOT / name for name in DBT_INPUTS]
    files = [path for path in paths if path.is_file()]
    files += [file for path in paths if path.is_dir() for file in path.rglob("*") if file.is_file()]
    return results.stat().st_mtime >= max(file.stat().st_mtime for file in files)


# ---- slow: what builds a warehouse ----------------------------------------------------------------------------
# The fixtures that build a warehouse (a season loaded and dbt-built) when none is up to date. A test that uses
# one, directly or through another fixture, is slow (pyproject.toml's marker): make test-fast skips it even when
# a build happens to be at hand, so the inner loop's time never depends on what was built before.
WAREHOUSE_BUILDS = frozenset({"sample_build", "real_2024_build"})


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WAREHOUSE_BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sample_build() -> tuple[Path, Path]:
    """The simulated sample loaded by the pipeline and built by dbt: its warehouse and dbt target path. Every
    test on the built sample shares this one build (session-scoped).

    ``make test-dbt``'s (``make test`` builds it just before pytest) when it is newer than every dbt input and
    its models all built; else pytest's own, built the same way (``make load transform SOURCE=sample
    UNIT_TESTS=1``) into ``warehouse/test/pytest-sample.duckdb`` and reused on the next run while it is up to date.
    """
    for warehouse, target in (TEST_DBT_SAMPLE, PYTEST_SAMPLE):
        # make transform's record of a passing build, which make publish reads
        passed = all((target / name).is_file() for name in ("build_results.json", "build_manifest.json"))
        if warehouse.is_file() and passed and models_built(target) and built_after_dbt_inputs(target):
            return warehouse, target
    warehouse, target = PYTEST_SAMPLE
    warehouse.unlink(missing_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    built = run_group(
        ["make", "load", "transform", f"WAREHOUSE={warehouse.relative_to(ROOT)}", "SOURCE=sample", "UNIT_TESTS=1"],
        timeout=900,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return warehouse, target


def published_paths(warehouse: Path) -> tuple[Path, Path]:
    """Where ``make publish`` writes ``warehouse``'s published copy and its Parquet folder (the Makefile's rule)."""
    published = warehouse.parent / "published" / warehouse.name
    return published, published.with_suffix("")


@pytest.fixture(scope="session")
def published_sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path, Path]:
    """The sample built and published (``make publish``): the published DuckDB file, its Parquet folder and the
    build's dbt target path. Published again when the build is newer than the copy."""
    warehouse, target = sample_build
    published, parquet = published_paths(warehouse)
    if not published.is_file() or published.stat().st_mtime < (target / "build_results.json").stat().st_mtime:
        done = run_group(["make", "publish", f"WAREHOUSE={warehouse.relative_to(ROOT)}"], timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return published, parquet, target


@contextlib.contextmanager
def published_scratch(published_sample: tuple[Path, Path, Path], stem: str) -> Iterator[tuple[str, Path]]:
    """A copy of the built sample as ``warehouse/test/<stem>.duckdb`` (its own WAREHOUSE=, dbt target and
    published copy), published once; yields its WAREHOUSE= value and file, and removes all of it after."""
    published, _, target = published_sample
    warehouse = ROOT / "warehouse" / "test" / f"{stem}.duckdb"
    name = str(warehouse.relative_to(ROOT))
    scratch_target = ROOT / "target" / name.removesuffix(".duckdb").replace("/", "_")
    shutil.rmtree(scratch_target, ignore_errors=True)
    scratch_target.mkdir(parents=True)
    for file in ("build_manifest.json", "build_results.json"):
        shutil.copy(target / file, scratch_target / file)
    shutil.copy(published.parent.parent / published.name, warehouse)
    done = run_group(["make", "publish", f"WAREHOUSE={name}"], timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        yield name, warehouse
    finally:
        warehouse.unlink(missing_ok=True)
        shutil.rmtree(scratch_target, ignore_errors=True)
        for leftover in (warehouse.parent / "published").glob(f"*{stem}*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()


@pytest.fixture(scope="session")
def real_2024_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """The real 2024 season loaded by the pipeline and built by ``dbt build``, once per test run.

    Returns the warehouse, dbt's target path and dbt's result (tests decide whether every dbt test must pass).
    ``OPENF1_TRUTH_WAREHOUSE`` (with ``OPENF1_TRUTH_DBT_TARGET``) names one already built, for development.
    """
    existing = os.environ.get("OPENF1_TRUTH_WAREHOUSE")
    if existing:
        target = Path(os.environ.get("OPENF1_TRUTH_DBT_TARGET", Path(existing).parent / "target"))
        return Path(existing), target, subprocess.CompletedProcess([], 0, "", "")
    snapshot = real_snapshot("2024-season")
    real_snapshot("truth-2024")
    work = tmp_path_factory.mktemp("real-2024")
    warehouse, target = work / "openf1.duckdb", work / "target"
    loaded = run_module("dlt_pipelines.pipeline", "--source", str(snapshot), "--warehouse", str(warehouse), timeout=900)
    assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]
    built = run_module("dbt.cli.main", "build", "--quiet", timeout=900, env=dbt_env(warehouse, target))
    return warehouse, target, built
