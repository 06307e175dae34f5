"""The report site in a real browser: Debian's Chromium, headless, opens the pages from disk.

Checks what a reader gets: every chart laid out with a non-empty SVG, no console error or uncaught exception,
no request leaving the disk, a page that fits a phone's width (wide charts and tables scroll inside their own
box). Saves screenshots to ``target/report-screenshots/`` for a person to look at. Skips when Chromium is not
installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from reports import browser
from reports.pages import race_path
from reports.render import render
from tests.conftest import ROOT
from tests.reports.test_reports import parse, race_sessions, sample_warehouse

SCREENSHOTS = ROOT / "target" / "report-screenshots"

pytestmark = pytest.mark.skipif(
    browser.find_chromium() is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    """The sample site and the race report to open (the first Grand Prix)."""
    warehouse, target = sample_warehouse(sample_build)
    out = tmp_path_factory.mktemp("browser-site")
    render(warehouse, out, target)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        race = next(session for session in race_sessions(connection) if session["session_kind"] == "race")
    return out, out / race_path(race)


@pytest.fixture(scope="module")
def chromium() -> Iterator[browser.Browser]:
    with browser.launch() as running:
        yield running


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("page", [pytest.param("index", id="index"), pytest.param("race", id="race-report")])
def test_page_renders_in_chromium(chromium: browser.Browser, site: tuple[Path, Path], page: str) -> None:
    root, race = site
    path = root / "index.html" if page == "index" else race
    with chromium.page(width=1280, height=900) as tab:
        report = tab.open(path)
        shot = tab.screenshot(SCREENSHOTS / f"{page}.png")
    assert report.errors == [], report.console
    assert report.remote_requests == []
    assert report.title
    expected = parse(path).charts  # every chart in the HTML is laid out, with something drawn
    assert [chart.id for chart in report.charts] == expected
    for chart in report.charts:
        assert chart.is_rendered, chart
        # at full width on a laptop; a track map is as tall as it is wide, so it takes less
        is_map = chart.id in ("telemetry-dominance", "telemetry-speed-map")
        assert chart.width >= (450 if is_map else 600), chart
    width, height = _png_size(shot)
    assert width == 1280 and height >= 900  # the whole page, not only the viewport
    if page == "race":
        assert len(report.charts) >= 6
        assert height > 2 * 900
    print(f"screenshot: {shot}")


def test_race_report_fits_a_phone(chromium: browser.Browser, site: tuple[Path, Path]) -> None:
    _, race = site
    with chromium.page(width=390, height=844, mobile=True) as tab:
        report = tab.open(race)
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        font = tab.evaluate("parseFloat(getComputedStyle(document.querySelector('td')).fontSize)")
        shot = tab.screenshot(SCREENSHOTS / "race-phone.png")
    assert report.problems == []
    assert overflow <= 0, "the page is wider than the phone: a chart or table escapes its scroll box"
    assert font >= 12
    assert _png_size(shot)[0] == 390 * 2  # device pixel ratio 2
    print(f"screenshot: {shot}")


def test_every_page_of_the_site_is_clean(chromium: browser.Browser, site: tuple[Path, Path]) -> None:
    root, _ = site
    with chromium.page() as tab:
        reports = [tab.open(page) for page in sorted(root.rglob("*.html"))]
    assert len(reports) >= 4
    assert {report.url: report.problems for report in reports if report.problems} == {}


def _one_page_of_each_kind(root: Path) -> dict[str, Path]:
    """index.html, quality.html and the first page of each folder (races, seasons, qualifying, drivers, ...)."""
    kinds = {page.stem: page for page in (root / "index.html", root / "quality.html")}
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        pages = sorted(folder.glob("*.html"))
        if pages:
            kinds[folder.name] = next((page for page in pages if not page.stem.endswith("-sprint")), pages[0])
    return kinds


@pytest.mark.parametrize("width", [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")])
def test_every_page_kind_at_desktop_and_phone_width(
    chromium: browser.Browser, site: tuple[Path, Path], width: int
) -> None:
    """Each kind of page: no console error, no remote request, every chart drawn, nothing wider than the screen."""
    root, _ = site
    kinds = _one_page_of_each_kind(root)
    assert {"index", "quality", "races", "seasons", "qualifying", "drivers"} <= kinds.keys()
    found: dict[str, list[str]] = {}
    with chromium.page(width=width, height=900, mobile=width < 600) as tab:
        for kind, page in kinds.items():
            report = tab.open(page)
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            problems = list(report.problems)
            problems += [f"chart {chart.id} is empty" for chart in report.charts if not chart.is_rendered]
            problems += [f"{overflow}px wider than the screen"] if overflow > 0 else []
            problems += ["no chart drawn"] if kind in ("races", "seasons", "drivers") and not report.charts else []
            if problems:
                found[f"{kind}: {page.name}"] = problems
    assert found == {}


def test_gallery_writes_one_small_jpeg_per_page_kind(site: tuple[Path, Path], tmp_path: Path) -> None:
    """make screenshots: the README's pictures, one per page kind, small enough to commit."""
    root, _ = site
    shots = browser.gallery(root, tmp_path)
    names = {shot.stem for shot in shots}
    assert {"index", "race", "qualifying", "season", "driver", "quality"} <= names
    for shot in shots:
        assert shot.read_bytes()[:3] == b"\xff\xd8\xff", f"{shot} is not a JPEG"
        assert shot.stat().st_size < 250 * 1024, f"{shot} is {shot.stat().st_size // 1024} KB"
