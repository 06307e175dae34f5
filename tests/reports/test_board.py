"""The live board page (reports/board.py): the board marts' values on the page, written atomically, reloading
itself, readable on a phone; Chromium opens it from disk (skipped when Chromium is not installed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import board, browser
from reports.formatting import gap, lap_time
from tests.conftest import ROOT

RACE = 10305
SCREENSHOTS = ROOT / "target" / "report-screenshots"


@pytest.fixture(scope="module")
def warehouse(sample_build: tuple[Path, Path]) -> Path:
    return sample_build[0]


@pytest.fixture(scope="module")
def race_page(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return board.render_board(warehouse, tmp_path_factory.mktemp("board") / "live" / "board.html", RACE, refresh_s=7)


def _cells(html: str, key: str) -> dict[str, str]:
    """The text of each data-col cell of the row data-key=key in the running order (tags stripped)."""
    table = html[html.index('id="running-order"') :]
    table = table[: table.index("</table>")]
    row = re.search(rf'<tr data-key="{key}"[^>]*>(.*?)</tr>', table, re.S)
    assert row, key
    return {
        col: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()
        for col, text in re.findall(r'<td[^>]*data-col="(\w+)"[^>]*>(.*?)</td>', row.group(1), re.S)
    }


def _mart(warehouse: Path, sql: str, parameters: list[Any]) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        cursor = connection.execute(sql, parameters)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


@pytest.mark.slow
def test_page_shows_the_marts_values(warehouse: Path, race_page: Path) -> None:
    html = race_page.read_text(encoding="utf-8")
    cars = _mart(warehouse, "select * from marts.board_running_order where session_key = ? order by position", [RACE])
    assert len(cars) == 20
    for car in cars:
        cells = _cells(html, str(car["driver_number"]))
        assert cells["position"] == str(car["position"])
        assert cells["laps_completed"] == str(car["laps_completed"])
        assert cells["last_lap_s"] == lap_time(car["last_lap_s"])
        assert cells["pit_stops"] == str(car["pit_stops"])
        assert cells["tyre_age_laps"] == str(car["tyre_age_laps"])
        assert cells["compound"] == car["compound"][0]
        if car["position"] > 1:
            assert cells["gap_to_leader_s"] == gap(car["gap_to_leader_s"])
            assert cells["interval_s"] == gap(car["interval_s"])
    header = _mart(warehouse, "select * from marts.board_sessions where session_key = ?", [RACE])[0]
    assert f'<strong data-col="current_lap_number">{header["current_lap_number"]}</strong>' in html
    assert f'<strong data-col="total_laps">{header["total_laps"]}</strong>' in html
    assert 'data-col="session_status">finished<' in html
    latest = _mart(
        warehouse, "select * from marts.board_race_control where session_key = ? and message_rank = 1", [RACE]
    )
    assert f'<tr data-key="{latest[0]["race_control_message_id"]}">' in html
    sector = _mart(
        warehouse, "select * from marts.board_sector_bests where session_key = ? and sector_number = 1", [RACE]
    )
    assert lap_time(sector[0]["session_best_s"]) in html
    assert "PROVISIONAL" in html
    assert "intervals" in html[html.index('id="gap-source"') :][:200]


@pytest.mark.slow
def test_page_reloads_itself_and_runs_no_script(race_page: Path) -> None:
    html = race_page.read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="7">' in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the board must not load anything remote"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["practice", "qualifying", "sprint_qualifying", "sprint"])
def test_every_session_kind_renders(warehouse: Path, tmp_path: Path, kind: str) -> None:
    key = _mart(warehouse, "select min(session_key) as k from marts.board_sessions where session_kind = ?", [kind])[0]
    page = board.render_board(warehouse, tmp_path / "board.html", key["k"])
    html = page.read_text(encoding="utf-8")
    assert 'id="running-order"' in html
    expected = "best lap" if kind not in ("race", "sprint") else "intervals"
    assert expected in html[html.index('id="gap-source"') :][:200]


@pytest.mark.slow
def test_default_session_is_the_latest_started(warehouse: Path, tmp_path: Path) -> None:
    page = board.render_board(warehouse, tmp_path / "board.html")
    assert 'data-key="10323"' in page.read_text(encoding="utf-8")  # the sample's last session, its last race


@pytest.mark.slow
def test_cli_writes_the_page(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "board.html"
    ran = subprocess.run(
        [sys.executable, "-m", "reports.board", "--published", str(warehouse), "--out", str(out), "--session", "10309"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert out.is_file() and "Sprint" in out.read_text(encoding="utf-8")


def test_missing_published_copy_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(board.BoardError) as error:
        board.render_board(tmp_path / "nope.duckdb", tmp_path / "board.html")
    assert "\n" not in str(error.value) and "make live" in str(error.value)


def test_a_copy_without_board_marts_says_how_to_build_them(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(board.BoardError, match="live_board"):
        board.render_board(empty, tmp_path / "board.html")


class _Interrupted(Exception):
    pass


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader sees the old page or the new one, whole: the new text goes to a temp file in the same folder,
    renamed over the page; a write that fails leaves the old page and no temp file."""
    out = tmp_path / "board.html"
    board.write_atomically(out, "old page")
    inode = out.stat().st_ino
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def watched(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        renames.append((str(source), str(target)))
        assert Path(source).read_text(encoding="utf-8") == "new page"  # complete before it is renamed
        assert out.read_text(encoding="utf-8") == "old page"  # the reader still has the old one meanwhile
        real_replace(source, target)

    monkeypatch.setattr(board.os, "replace", watched)
    board.write_atomically(out, "new page")
    assert out.read_text(encoding="utf-8") == "new page"
    assert out.stat().st_ino != inode  # a new file, renamed into place: never the old one rewritten in place
    assert len(renames) == 1 and Path(renames[0][0]).parent == tmp_path and renames[0][1] == str(out)

    def broken(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        raise _Interrupted

    monkeypatch.setattr(board.os, "replace", broken)
    with pytest.raises(_Interrupted):
        board.write_atomically(out, "third page")
    assert out.read_text(encoding="utf-8") == "new page"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["board.html"]


needs_chromium = pytest.mark.skipif(
    browser.find_chromium() is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[browser.Browser]:
    with browser.launch() as running:
        yield running


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("width", [pytest.param(1280, id="laptop"), pytest.param(390, id="phone")])
def test_board_in_chromium_fits_the_screen(chromium: browser.Browser, race_page: Path, width: int) -> None:
    with chromium.page(width=width, height=900, mobile=width < 600) as tab:
        report = tab.open(race_page)
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        # a phone browser widens its layout viewport to fit content wider than the screen (then zooms out): the
        # viewport must stay the screen's width, else the overflow above is measured against the widened one
        viewport = tab.evaluate("window.innerWidth")
        font = tab.evaluate("parseFloat(getComputedStyle(document.querySelector('td')).fontSize)")
        rows = tab.evaluate("document.querySelectorAll('#running-order tbody tr').length")
        tab.screenshot(SCREENSHOTS / f"board-{width}.png")
    assert report.problems == []
    assert viewport == width, "the page made the browser widen its viewport: something is wider than the screen"
    assert overflow <= 0, "the board is wider than the screen: a table escapes its scroll box"
    assert font >= 12
    assert rows == 20
