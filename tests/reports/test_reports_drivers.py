"""Driver pages and the index's champions on the sample site: every value shown is the mart's, every link works,
and every driver chip of a race page links to the driver's page.

Expected values are queried from the marts (driver_season_rounds, driver_season_summary, driver_standings,
teammate_head_to_heads, fct_pit_stops, season_champions, fct_session_results) and formatted with the site's own
filters; nothing is copied from output.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import browser, formatting
from reports.pages import driver_path, race_path
from reports.render import environment, render
from tests.reports.test_reports import parse, race_sessions, rows, sample_warehouse

DASH = formatting.DASH
# race-page tables that name drivers, and how many driver chips each row has
RACE_DRIVER_TABLES = {
    "classification": 1,
    "amendments": 1,
    "pit-stops": 1,
    "strategy-backtests": 1,
    "undercuts": 2,
    "undercut-chance": 2,
}


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    return sample_warehouse(sample_build)


@pytest.fixture(scope="module")
def marts(sample: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample[0]), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def site(sample: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("drivers-site")
    render(sample[0], out, sample[1])
    return out


def driver_seasons(marts: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(
        marts,
        "select distinct season, driver_id from marts.driver_season_rounds"
        " union select distinct season, driver_id from marts.fct_qualifying where driver_id is not null"
        " order by season, driver_id",
    )


def _shown(value: object) -> str:
    return DASH if value is None else str(value)


def _yes_no(value: bool | None) -> str:
    return DASH if value is None else ("yes" if value else "no")


# ---- chips and links ---------------------------------------------------------------------------------------------
class ChipParser(HTMLParser):
    """Per table id, per row, per cell: whether the cell holds a driver chip (a swatch) and the links in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: dict[str, list[tuple[str | None, bool, list[str]]]] = {}
        self._table: str | None = None
        self._row: str | None = None
        self._cell: tuple[bool, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id"):
            self._table = attributes["id"]
        elif self._table and tag == "tr":
            self._row = attributes.get("data-key")
        elif self._table and tag == "td":
            self._cell = (False, [])
        elif self._cell is not None and tag == "span" and "swatch" in (attributes.get("class") or ""):
            self._cell = (True, self._cell[1])
        elif self._cell is not None and tag == "a":
            self._cell[1].append(attributes.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._table and self._cell is not None:
            self.cells.setdefault(self._table, []).append((self._row, *self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None


def chips(path: Path) -> dict[str, list[tuple[str | None, bool, list[str]]]]:
    parser = ChipParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.cells


def test_every_relative_link_resolves(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert any(page.parent.name == "drivers" for page in pages)
    broken = [
        f"{page.relative_to(site)} -> {link}"
        for page in pages
        for link in parse(page).links
        if not link.startswith(("http:", "https:", "mailto:", "#"))
        and not (page.parent / link.split("#")[0]).resolve().is_file()
    ]
    assert broken == []


def test_every_driver_chip_of_a_race_page_links_to_his_page(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    seen = dict.fromkeys(RACE_DRIVER_TABLES, 0)
    for session in race_sessions(marts):
        page = site / race_path(session)
        ids = {
            row["driver_code"]: row["driver_id"]
            for row in rows(
                marts,
                "select driver_code, driver_id from marts.fct_session_results where session_key = ?",
                session["session_key"],
            )
        }
        for table, cells in chips(page).items():
            if table not in RACE_DRIVER_TABLES:
                continue
            with_chip = [(key, links) for key, has_chip, links in cells if has_chip]
            seen[table] += len(with_chip)
            for key, links in with_chip:
                assert len(links) == 1 and "drivers/" in links[0], (page.name, table, key, links)
                assert (page.parent / links[0]).resolve().is_file(), (page.name, table, key, links)
            if table == "classification":
                for key, _, links in cells:
                    if links:
                        assert links[0] == "../" + str(driver_path(session["season"], ids[key])), (page.name, key)
    # the sample's races have each of these tables with drivers in them (amendments only in an amended build)
    assert {table for table, count in seen.items() if count} >= set(RACE_DRIVER_TABLES) - {"amendments"}, seen


# ---- the driver pages --------------------------------------------------------------------------------------------
def test_one_page_per_driver_and_season(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    expected = {str(driver_path(row["season"], row["driver_id"])) for row in driver_seasons(marts)}
    written = {str(path.relative_to(site)) for path in (site / "drivers").glob("*.html")}
    assert expected and written == expected


def test_rounds_table_is_driver_season_rounds(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    race_paths = {session["session_key"]: race_path(session) for session in race_sessions(marts)}
    for driver in driver_seasons(marts):
        path = site / str(driver_path(driver["season"], driver["driver_id"]))
        page = parse(path)
        expected = rows(
            marts,
            "select * from marts.driver_season_rounds where season = ? and driver_id = ?"
            " order by round_number, case session_kind when 'sprint' then 1 else 2 end",
            driver["season"],
            driver["driver_id"],
        )
        if not expected:
            assert "driver-rounds" not in page.tables
            continue
        table = page.tables["driver-rounds"]
        assert [key for key, _ in table.rows] == [f"{row['round_number']}-{row['session_kind']}" for row in expected]
        for (_, cells), row in zip(table.rows, expected, strict=True):
            shown = dict(zip(table.columns, cells, strict=True))
            finish = row["classified_position"]
            assert shown == {
                "round": str(row["round_number"]),
                "meeting": row["meeting_name"],
                "session": row["session_name"],
                "team": row["team_name"] or DASH,
                "qualifying": _shown(row["qualifying_position"]),
                "grid": _shown(row["grid_position"]),
                "finish": str(finish) if finish is not None else row["result_class"],
                "gained": formatting.signed(row["positions_gained"]),
                "pit_stops": _shown(row["pit_stops"]),
                "points": formatting.points(row["points"]),
                "points_after": formatting.points(row["championship_points_after"]),
                "position_after": _shown(row["championship_position_after"]),
                "teammate": row["teammate_driver_code"] or DASH,
                "ahead_qualifying": _yes_no(row["is_ahead_of_teammate_in_qualifying"]),
                "ahead_race": _yes_no(row["is_ahead_of_teammate_in_race"]),
            }, (path.name, row["round_number"], row["session_kind"])
            link = "../" + race_paths[row["session_key"]]
            assert link in page.links, (path.name, link)
            if row["teammate_driver_id"]:
                assert "../" + str(driver_path(row["season"], row["teammate_driver_id"])) in page.links
        # the charts draw the same rows: grid and finish per Grand Prix
        races = [row for row in expected if row["session_kind"] == "race"]
        series = page.series.get("grid-finish-chart", {})
        if any(row["grid_position"] is not None or row["classified_position"] is not None for row in races):
            grid = ",".join(
                f"{r['round_number']}:{r['grid_position']}" for r in races if r["grid_position"] is not None
            )
            finish = ",".join(
                f"{r['round_number']}:{r['classified_position']}" for r in races if r["classified_position"] is not None
            )
            assert series == {"grid": grid, "finish": finish}, path.name


def test_points_chart_is_driver_standings(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for driver in driver_seasons(marts):
        path = site / str(driver_path(driver["season"], driver["driver_id"]))
        standings = rows(
            marts,
            "select round, points, driver_code from marts.driver_standings where season = ? and driver_id = ?"
            " order by round",
            driver["season"],
            driver["driver_id"],
        )
        series = parse(path).series.get("driver-points-chart", {})
        if not standings:
            assert series == {}
            continue
        values = ",".join(f"{row['round']}:{formatting.points(row['points'])}" for row in standings)
        assert list(series.values()) == [values], path.name


def test_summary_head_to_head_and_pit_stops_are_the_marts(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    checked = {"summary": 0, "head-to-head": 0, "pit-stops": 0}
    for driver in driver_seasons(marts):
        season, driver_id = driver["season"], driver["driver_id"]
        page = parse(site / str(driver_path(season, driver_id)))
        summary = rows(
            marts, "select * from marts.driver_season_summary where season = ? and driver_id = ?", season, driver_id
        )
        if summary:
            (row,) = summary
            shown = page.tables["driver-summary"].by_key()[driver_id]
            assert shown == {
                "championship_position": _shown(row["championship_position"]),
                "points": formatting.points(row["points"]),
                "races_started": str(row["races_started"]),
                "wins": str(row["wins"]),
                "podiums": str(row["podiums"]),
                "pole_positions": _shown(row["pole_positions"]),
                "retirements": str(row["retirements"]),
                "mean_grid_position": formatting.fixed(row["mean_grid_position"]),
                "mean_race_position": formatting.fixed(row["mean_race_position"]),
                "mean_positions_gained": formatting.signed_seconds(row["mean_positions_gained"]),
                "race_pit_stops": _shown(row["race_pit_stops"]),
            }, driver_id
            checked["summary"] += 1
        head_to_heads = rows(
            marts,
            "select * from marts.teammate_head_to_heads where season = ? and driver_id = ?"
            " order by team_name, teammate_driver_id",
            season,
            driver_id,
        )
        table = page.tables.get("head-to-head")
        assert [key for key, _ in (table.rows if table else [])] == [row["teammate_driver_id"] for row in head_to_heads]
        for row in head_to_heads:
            assert table.by_key()[row["teammate_driver_id"]] == {
                "teammate": row["teammate_driver_code"],
                "team": row["team_name"],
                "qualifying": f"{row['qualifyings_ahead']} / {row['qualifyings_together']}",
                "races": f"{row['races_ahead']} / {row['races_together']}",
                "points": formatting.points(row["points"]),
                "teammate_points": formatting.points(row["teammate_points"]),
            }
            checked["head-to-head"] += 1
        stops = rows(
            marts,
            "select * from marts.fct_pit_stops where season = ? and driver_id = ?"
            " and session_kind in ('race', 'sprint')",
            season,
            driver_id,
        )
        table = page.tables.get("driver-pit-stops")
        shown = table.by_key() if table else {}
        assert len(shown) == len(stops)
        for stop in stops:
            cells = shown[f"{stop['session_key']}-{stop['stop_number']}"]
            assert (cells["lap"], cells["lane"], cells["stationary"]) == (
                _shown(stop["lap_number"]),
                formatting.seconds(stop["lane_duration_s"]),
                formatting.seconds(stop["stop_duration_s"]),
            )
            checked["pit-stops"] += 1
    assert all(checked.values()), checked


# ---- the index ---------------------------------------------------------------------------------------------------
def test_index_champions_podium_and_driver_pages(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    index = parse(site / "index.html")
    champions = rows(marts, "select * from marts.season_champions order by season desc")
    table = index.tables["champions"]
    assert [key for key, _ in table.rows] == [str(row["season"]) for row in champions]
    for row in champions:
        shown = table.by_key()[str(row["season"])]
        status = (
            "champions"
            if row["is_season_complete"]
            else f"leaders after round {row['latest_round_number']} of {row['scheduled_rounds']}"
        )
        assert shown == {
            "season": str(row["season"]),
            "driver": f"{row['drivers_leader_driver_code']} {row['drivers_leader_full_name']}",
            "driver_points": formatting.points(row["drivers_leader_points"]),
            "team": row["constructors_leader_team_name"],
            "team_points": formatting.points(row["constructors_leader_points"]),
            "status": status,
        }
        assert str(driver_path(row["season"], row["drivers_leader_driver_id"])) in index.links
    latest = champions[0]["latest_race_session_key"]
    podium = rows(
        marts,
        "select * from marts.fct_session_results where session_key = ? and classified_position <= 3"
        " order by classified_position",
        latest,
    )
    assert len(podium) == 3
    table = index.tables["latest-podium"]
    assert table.by_key() == {
        str(row["classified_position"]): {
            "position": str(row["classified_position"]),
            "driver": f"{row['driver_code']} {row['full_name']}",
            "team": row["team_name"],
            "points": formatting.points(row["points"]),
        }
        for row in podium
    }
    (session,) = [session for session in race_sessions(marts) if session["session_key"] == latest]
    assert race_path(session) in index.links
    for row in podium:
        assert str(driver_path(row["season"], row["driver_id"])) in index.links
    for row in driver_seasons(marts):
        assert str(driver_path(row["season"], row["driver_id"])) in index.links
    # the round table's winners link their pages (the last cell of each round row)
    cells = chips(site / "index.html")
    winners = rows(
        marts,
        "select results.season, results.round_number, results.driver_id from marts.fct_session_results as results"
        " where results.classified_position = 1 and results.session_kind in ('race', 'sprint')"
        " and results.round_number is not null",
    )
    assert winners
    for winner in winners:
        last_cells = {}
        for key, _, links in cells[f"races-{winner['season']}"]:
            last_cells[key] = links  # a row's cells in order: the last one kept is the Winner cell
        assert str(driver_path(winner["season"], winner["driver_id"])) in last_cells[str(winner["round_number"])]


@pytest.mark.skipif(browser.find_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize(
    ("width", "mobile"), [pytest.param(1280, False, id="desktop"), pytest.param(390, True, id="phone")]
)
def test_a_driver_page_in_chromium(site: Path, marts: duckdb.DuckDBPyConnection, width: int, mobile: bool) -> None:
    leader = rows(marts, "select season, drivers_leader_driver_id from marts.season_champions order by season desc")[0]
    path = site / str(driver_path(leader["season"], leader["drivers_leader_driver_id"]))
    with browser.launch() as chromium, chromium.page(width=width, height=900, mobile=mobile) as tab:
        report = tab.open(path)
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert report.problems == []
    assert [chart.id for chart in report.charts] == ["driver-points-chart", "grid-finish-chart"]
    assert overflow <= 0, "the page is wider than the screen: a chart or table escapes its scroll box"


def test_a_season_still_running_shows_its_leaders_not_champions() -> None:
    """season_champions.is_season_complete false: the index says whose lead it is and after which round."""
    running = {
        "season": 2026,
        "season_path": "seasons/2026.html",
        "driver_path": "drivers/2026-aaa-a.html",
        "driver_colour": "#123456",
        "team_colour": "#654321",
        "drivers_leader_driver_code": "AAA",
        "drivers_leader_full_name": "A A",
        "drivers_leader_points": 43.0,
        "constructors_leader_team_name": "T1",
        "constructors_leader_points": 60.0,
        "is_season_complete": False,
        "latest_round_number": 3,
        "scheduled_rounds": 24,
    }
    html = (
        environment()
        .get_template("index.html")
        .render(
            seasons=[],
            champions=[running],
            podium=[],
            driver_pages={},
            quality_path="quality.html",
            root="",
            current="index.html",
            page_title="index",
            generated_at="now",
            warehouse="test.duckdb",
        )
    )
    assert "leaders after round 3 of 24" in html
    assert ">champions<" not in html
    assert 'href="drivers/2026-aaa-a.html"' in html


class _Cells(HTMLParser):
    """Every table cell of a page: its text and the links inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, list[str]]] = []
        self._open: list[tuple[list[str], list[str]]] = []  # (text parts, links) of the cells being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th"):
            self._open.append(([], []))
        elif tag == "a" and self._open:
            self._open[-1][1].append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._open:
            text, links = self._open.pop()
            self.cells.append(("".join(text).strip(), links))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][0].append(data)


def test_every_table_cell_naming_a_driver_links_to_his_page(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    """On every page, a table cell that names a driver (its text is a driver code) links to a driver page."""
    codes = {row["driver_code"] for row in rows(marts, "select driver_code from marts.dim_drivers")} - {None}
    unlinked: list[str] = []
    named = 0
    for page in sorted(site.rglob("*.html")):
        parser = _Cells()
        parser.feed(page.read_text(encoding="utf-8"))
        for text, links in parser.cells:
            if text in codes:
                named += 1
                if not any("drivers/" in link for link in links):
                    unlinked.append(f"{page.relative_to(site)}: {text}")
    assert named > 100
    assert unlinked == []
