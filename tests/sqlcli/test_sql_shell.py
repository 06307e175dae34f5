"""make sql: harlequin in .venv-sql on the published copy, read-only. It is interactive, so the test starts it
the way make sql does but headless (python -m sqlcli.shell --check): harlequin's DuckDB adapter opens the copy
read-only, lists its catalog, answers a query and is refused a write; harlequin's app runs a query typed into
its editor. Without a terminal make sql itself stops in one line."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, run_module


def clean_env(**extra: str) -> dict[str, str]:
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "WAREHOUSE", "OPENF1_PUBLISHED"}
    return {k: v for k, v in os.environ.items() if k not in drop} | extra


@pytest.mark.slow
def test_harlequin_opens_the_published_copy_read_only(published_sample: tuple[Path, Path, Path]) -> None:
    published = published_sample[0]
    before = published.stat().st_mtime_ns
    done = run_module("sqlcli.shell", "--check", timeout=900, env={"OPENF1_PUBLISHED": str(published)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = done.stdout
    assert re.search(r"^harlequin 2\.\d+\.\d+ with duckdb \d", report, re.MULTILINE)
    catalog = re.search(r"^catalog: (.*)$", report, re.MULTILINE)
    assert catalog and re.search(r"marts \((\d+) tables\)", catalog[1]) and "features (" in catalog[1]
    assert int(re.search(r"marts \((\d+) tables\)", catalog[1])[1]) >= 10
    drivers = re.search(r"^query: .* -> (\d+)$", report, re.MULTILINE)
    assert drivers and int(drivers[1]) > 0
    assert re.search(r"^write refused: .*read-only", report, re.MULTILINE)
    assert f"results viewer shows [{drivers[1]}]" in report  # the app showed what the adapter answered
    assert published.stat().st_mtime_ns == before


def test_make_sql_without_a_terminal_is_one_line(tmp_path: Path) -> None:
    published = tmp_path / "published" / "x.duckdb"
    published.parent.mkdir()
    duckdb.connect(str(published)).close()
    done = subprocess.run(
        ["make", "sql", f"WAREHOUSE={tmp_path / 'x.duckdb'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env=clean_env(),
    )
    own = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert done.returncode != 0
    assert own == ["error: make sql is interactive and needs a terminal: for scripts use make query SQL=..."]


def test_make_sql_without_a_published_copy_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        ["make", "sql", f"WAREHOUSE={tmp_path / 'x.duckdb'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env=clean_env(),
    )
    own = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert len(own) == 1 and own[0].startswith(f"error: no published copy at {tmp_path}/published/x.duckdb yet")
