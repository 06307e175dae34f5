"""The report site is replaced whole: a render that fails keeps the previous site, an interrupted one is cleaned up.

Renders the sample (``tests/reports/test_reports.py``'s warehouse) through ``python -m reports.render``, as ``make
reports`` does, then breaks the warehouse (a damaged file, a file without the marts) or kills the render.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from reports import swap
from reports.render import main
from tests.conftest import ROOT, run_module
from tests.reports.test_reports import sample_warehouse


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    return sample_warehouse(sample_build)


def files(folder: Path) -> dict[str, bytes]:
    """Every file of a folder, by path relative to it: what a reader can open."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def leftovers(site: Path) -> list[str]:
    return sorted(path.name for path in site.parent.iterdir() if path.name.startswith(f".{site.name}."))


def render_cli(warehouse: Path, site: Path, target: Path) -> subprocess.CompletedProcess[str]:
    return run_module("reports.render", "--warehouse", str(warehouse), "--out", str(site), "--dbt-target", str(target))


def damaged(path: Path) -> Path:
    path.write_bytes(b"not a DuckDB file\n" * 4096)
    return path


def without_marts(path: Path) -> Path:
    duckdb.connect(str(path)).close()
    return path


@pytest.mark.parametrize(
    "broken", [pytest.param(damaged, id="damaged-file"), pytest.param(without_marts, id="no-marts")]
)
def test_a_failed_render_keeps_the_previous_site(sample: tuple[Path, Path], tmp_path: Path, broken) -> None:
    warehouse, target = sample
    site = tmp_path / "site"
    assert main(["--warehouse", str(warehouse), "--out", str(site), "--dbt-target", str(target)]) == 0
    before = files(site)
    assert any(name.startswith("races/") for name in before) and any(name.startswith("seasons/") for name in before)

    failed = render_cli(broken(tmp_path / "broken.duckdb"), site, target)
    assert failed.returncode == 1
    assert files(site) == before  # every page the index links to is still there, as it was
    assert leftovers(site) == []
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("error: "), failed.stderr
    assert "unchanged" in failed.stderr


def test_a_render_replaces_the_site_whole(sample: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, target = sample
    site = tmp_path / "site"
    first = render_cli(warehouse, site, target)
    assert first.returncode == 0, first.stderr
    stale = site / "races" / "1999-01-gone-grand-prix.html"  # a race of an older build, no longer in the marts
    stale.write_text("old", encoding="utf-8")
    (site / "index.html").write_text("old", encoding="utf-8")

    second = render_cli(warehouse, site, target)
    assert second.returncode == 0, second.stderr
    assert not stale.exists()
    assert (site / "index.html").read_text(encoding="utf-8") != "old"
    fresh = tmp_path / "fresh"
    assert render_cli(warehouse, fresh, target).returncode == 0
    assert sorted(files(site)) == sorted(files(fresh))  # the same pages as a render into a new folder
    assert leftovers(site) == [] and leftovers(fresh) == []


def test_an_interrupted_render_is_cleaned_up_by_the_next(sample: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, target = sample
    site = tmp_path / "site"
    assert render_cli(warehouse, site, target).returncode == 0
    before = files(site)
    command = [sys.executable, "-m", "reports.render", "--warehouse", str(warehouse), "--out", str(site)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stage = tmp_path / f".site.rendering-{process.pid}"
    try:
        deadline = time.monotonic() + 60
        while not any(stage.glob("races/*.html")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, "the render ended before it could be interrupted"
        os.kill(process.pid, signal.SIGKILL)  # half-way through writing its pages
    finally:
        process.wait(timeout=30)
    assert stage.is_dir()  # what kill -9 leaves behind...
    assert files(site) == before  # ...beside the previous site, untouched

    again = render_cli(warehouse, site, target)
    assert again.returncode == 0, again.stderr
    assert f"note: removed {stage.name} (left by an interrupted render)" in again.stdout
    assert leftovers(site) == []
    assert (site / "index.html").is_file()


def test_a_site_lost_between_two_renames_comes_back(tmp_path: Path) -> None:
    """Where folders cannot be exchanged in one step, a render killed between its two renames loses nothing."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    site = tmp_path / "site"
    previous = tmp_path / f".site.replaced-{ended.pid}"
    previous.mkdir()
    (previous / "index.html").write_text("previous", encoding="utf-8")
    (tmp_path / f".site.rendering-{ended.pid}").mkdir()
    running = tmp_path / f".site.rendering-{os.getppid()}"  # a render still running: not ours to remove
    running.mkdir()

    done = swap.clean_leftovers(site)
    assert (site / "index.html").read_text(encoding="utf-8") == "previous"
    assert len(done) == 2 and done[0].startswith("restored")
    assert leftovers(site) == [running.name]


def test_a_folder_the_report_did_not_write_is_refused(sample: tuple[Path, Path], tmp_path: Path) -> None:
    """--out pointed at a folder of other files stops in one line instead of replacing them."""
    warehouse, target = sample
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    refused = render_cli(warehouse, tmp_path, target)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "notes.txt" in refused.stderr, refused.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_exchange_swaps_two_folders(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "name").write_text(folder.name, encoding="utf-8")
    if not swap.exchange(first, second):
        pytest.skip("this system or file system cannot exchange two folders in one step (two renames are used)")
    assert (first / "name").read_text(encoding="utf-8") == "second"
    assert (second / "name").read_text(encoding="utf-8") == "first"
