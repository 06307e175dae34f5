"""The qualifying pages: one per qualifying and sprint-qualifying session, every value shown is the marts'.

Each table's cells (``tr[data-key]`` by ``th[data-col]``) and the gap-to-pole chart's bars are compared with
``marts.qualifying_session_results`` and ``marts.qualifying_sessions``, formatted as the page formats them;
the knock-out lines sit above the first car of each knocked-out group, the session's best sectors and speeds
are the highlighted cells, and every driver chip links to his driver page. The real 2024 season (slow, real),
which has no qualifying laps, renders with notices instead of empty tables or charts.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import browser, formatting, telemetry
from reports import qualifying as qualifying_pages
from reports.pages import driver_path, qualifying_path
from reports.queries import Marts
from reports.render import environment, render
from tests.reports.test_reports import parse, rows, sample_warehouse

MARTS = ("qualifying_session_results", "qualifying_sessions")


def _require_marts(connection: duckdb.DuckDBPyConnection, where: Path) -> None:
    built = {
        row[0]
        for row in connection.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
    }
    missing = [name for name in MARTS if name not in built]
    assert not missing, f"{where} lacks marts {missing}: rebuild it (make transform WAREHOUSE=...)"


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    return sample_warehouse(sample_build)


@pytest.fixture(scope="module")
def marts(sample: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample[0]), read_only=True) as connection:
        _require_marts(connection, sample[0])
        yield connection


@pytest.fixture(scope="module")
def site(sample: tuple[Path, Path], marts: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qualifying-site")
    render(sample[0], out, sample[1])
    return out


def qualifying_sessions(connection: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(
        connection,
        """
        select qualifying.*, meetings.meeting_name
        from marts.qualifying_sessions as qualifying
        inner join marts.dim_meetings as meetings on qualifying.meeting_key = meetings.meeting_key
        where qualifying.round_number is not null and not qualifying.is_cancelled
        order by qualifying.season, qualifying.round_number, qualifying.started_at, qualifying.session_key
        """,
    )


def results(connection: duckdb.DuckDBPyConnection, session_key: int) -> list[dict[str, Any]]:
    return rows(
        connection,
        "select * from marts.qualifying_session_results where session_key = ?"
        " order by qualifying_position nulls last, phase_reached desc, best_duration_s nulls last, driver_number",
        session_key,
    )


def _table_html(html: str, table_id: str) -> str:
    start = html.index(f'<table id="{table_id}">')
    return html[start : html.index("</table>", start)]


def _cell_classes(table_html: str) -> dict[str, list[str]]:
    """data-key -> the class of each td of its row, in order."""
    found = {}
    for key, row in re.findall(r'<tr data-key="([^"]*)"[^>]*>(.*?)</tr>', table_html, re.DOTALL):
        found[key] = re.findall(r'<td(?: class="([^"]*)")?>', row)
    return found


def _number(value: int | None) -> str:
    return formatting.DASH if value is None else str(value)


# ---- the sample site ---------------------------------------------------------------------------------------------
def test_every_qualifying_session_has_a_page_linked_from_the_index(
    site: Path, marts: duckdb.DuckDBPyConnection
) -> None:
    sessions = qualifying_sessions(marts)
    assert len(sessions) >= 4
    assert any(session["session_kind"] == "sprint_qualifying" for session in sessions)
    index = parse(site / "index.html")
    for position, session in enumerate(sessions):
        path = qualifying_path(session)
        assert path in index.links, path
        page = parse(site / path)
        assert page.scripts == 0
        # previous and next qualifying pages, in season and round order
        if position > 0:
            assert f"../{qualifying_path(sessions[position - 1])}" in page.links
        if position + 1 < len(sessions):
            assert f"../{qualifying_path(sessions[position + 1])}" in page.links
    assert sorted(path.name for path in (site / "qualifying").glob("*.html")) == sorted(
        qualifying_path(session).removeprefix("qualifying/") for session in sessions
    )


def test_classification_is_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in qualifying_sessions(marts):
        table = parse(site / qualifying_path(session)).tables["qualifying-classification"]
        expected = results(marts, session["session_key"])
        assert [key for key, _ in table.rows] == [row["driver_code"] for row in expected]
        shown = table.by_key()
        for row in expected:
            cells = shown[row["driver_code"]]
            assert cells["position"] == _number(row["qualifying_position"])
            assert cells["driver"] == row["driver_code"]
            assert cells["team"] == row["team_name"]
            for phase in ("q1", "q2", "q3"):
                assert cells[phase] == formatting.lap_time(row[f"{phase}_duration_s"])
            assert cells["gap"] == formatting.gap(row["gap_to_pole_s"])
            assert cells["gap_pct"] == formatting.fixed(row["gap_to_pole_pct"], 3)
            assert cells["grid"] == _number(row["grid_position"])


def test_knockout_lines_sit_above_the_first_car_knocked_out(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in qualifying_sessions(marts):
        html = (site / qualifying_path(session)).read_text(encoding="utf-8")
        lined = re.findall(r'<tr data-key="([^"]*)" class="knockout">', html)
        first_out = [
            rows(
                marts,
                "select driver_code from marts.qualifying_session_results where session_key = ? and eliminated_in = ?"
                " order by qualifying_position limit 1",
                session["session_key"],
                phase,
            )
            for phase in ("Q2", "Q1")
        ]
        assert lined == [found[0]["driver_code"] for found in first_out if found]
        # the line follows the regulations' knock-out sizes: the first car out sits just below them
        positions = {row["driver_code"]: row["qualifying_position"] for row in results(marts, session["session_key"])}
        assert [positions[code] for code in lined] == [session["q3_car_count"] + 1, session["q2_car_count"] + 1]
        assert html.count('class="phase-line"') == len(lined)
        chart_lines = re.findall(r'<line class="knockout"', html)
        assert len(chart_lines) == len(lined)


def test_knockouts_table_is_the_session_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in qualifying_sessions(marts):
        shown = parse(site / qualifying_path(session)).tables["knockouts"].by_key()
        for phase, through, out in (
            ("Q1", "q2_car_count", "eliminated_in_q1_count"),
            ("Q2", "q3_car_count", "eliminated_in_q2_count"),
        ):
            cells = shown[phase]
            assert cells["through"] == str(session[through])
            assert cells["out"] == str(session[out])
            number = phase[1]
            assert cells["slowest_through"] == formatting.lap_time(session[f"q{number}_slowest_through_duration_s"])
            assert cells["fastest_out"] == formatting.lap_time(session[f"q{number}_fastest_eliminated_duration_s"])


def test_gap_chart_draws_each_gap_to_pole(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in qualifying_sessions(marts):
        page = parse(site / qualifying_path(session))
        expected = {
            row["driver_code"]: f"{row['gap_to_pole_s']:.3f}"
            for row in results(marts, session["session_key"])
            if row["gap_to_pole_s"] is not None
        }
        assert page.series["gap-to-pole-chart"] == expected
        for chart in page.charts:
            assert page.series_counts[chart] > 0


def test_sectors_and_speed_traps_are_the_mart_with_the_session_best_highlighted(
    site: Path, marts: duckdb.DuckDBPyConnection
) -> None:
    for session in qualifying_sessions(marts):
        assert session["has_sector_times"] and session["has_speed_traps"]  # the simulator writes them
        path = site / qualifying_path(session)
        page, html = parse(path), path.read_text(encoding="utf-8")
        assert f"session ideal {formatting.lap_time(session['ideal_lap_duration_s'])}" in html
        sectors, speeds = page.tables["sectors"].by_key(), page.tables["speed-traps"].by_key()
        sector_classes = _cell_classes(_table_html(html, "sectors"))
        speed_classes = _cell_classes(_table_html(html, "speed-traps"))
        for row in results(marts, session["session_key"]):
            code = row["driver_code"]
            for number in (1, 2, 3):
                assert sectors[code][f"s{number}"] == formatting.seconds(row[f"best_sector_{number}_duration_s"], 3)
                assert ("best" in sector_classes[code][number].split()) == row[f"is_session_best_sector_{number}"]
            assert sectors[code]["ideal"] == formatting.lap_time(row["ideal_lap_duration_s"])
            assert sectors[code]["best_lap"] == formatting.lap_time(row["best_lap_duration_s"])
            assert sectors[code]["left"] == formatting.seconds(row["time_left_on_table_s"], 3)
            for column, name, flag in (
                ("i1", "best_intermediate_1_speed_kph", "is_session_best_intermediate_1"),
                ("i2", "best_intermediate_2_speed_kph", "is_session_best_intermediate_2"),
                ("trap", "best_speed_trap_speed_kph", "is_session_best_speed_trap"),
            ):
                assert speeds[code][column] == _number(row[name])
                index = ("i1", "i2", "trap").index(column) + 1
                assert ("best" in speed_classes[code][index].split()) == row[flag]
        assert 'id="no-laps"' not in html


def test_teammates_and_grid_are_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in qualifying_sessions(marts):
        page = parse(site / qualifying_path(session))
        expected = results(marts, session["session_key"])
        teammates = page.tables["teammates"].by_key()
        assert set(teammates) == {row["driver_code"] for row in expected}
        for row in expected:
            cells = teammates[row["driver_code"]]
            assert cells["teammate"] == (row["teammate_driver_code"] or formatting.DASH)
            assert cells["phase"] == (row["teammate_compared_phase"] or formatting.DASH)
            assert cells["gap"] == formatting.signed_seconds(row["teammate_gap_s"], 3)
            assert cells["gap_pct"] == formatting.signed_seconds(row["teammate_gap_pct"], 3)
        grid = page.tables["grid"]
        on_grid = sorted(
            (row for row in expected if row["grid_position"] is not None),
            key=lambda row: (row["grid_position"], row["driver_number"]),
        )
        assert [key for key, _ in grid.rows] == [row["driver_code"] for row in on_grid]
        for row in on_grid:
            cells = grid.by_key()[row["driver_code"]]
            assert cells["grid"] == str(row["grid_position"])
            assert cells["qualified"] == _number(row["qualifying_position"])
            assert cells["change"] == formatting.signed(row["grid_change"])
            assert ("pole" in cells["driver"].split()) == bool(row["starts_from_pole"])


def test_every_driver_chip_links_to_the_driver_page(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in qualifying_sessions(marts):
        html = (site / qualifying_path(session)).read_text(encoding="utf-8")
        chips = re.findall(r'<span class="swatch"[^>]*></span>(<a href="([^"]*)"[^>]*>|<span)', html)
        assert chips and all(link for _, link in chips), "a driver chip without a link"
        expected = {
            f"../{driver_path(row['season'], row['driver_id'])}" for row in results(marts, session["session_key"])
        }
        assert {link for _, link in chips} == expected


def test_a_session_without_telemetry_says_so(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    """The sample simulates telemetry for races only: each qualifying page's telemetry section is one notice."""
    for session in qualifying_sessions(marts):
        html = (site / qualifying_path(session)).read_text(encoding="utf-8")
        section = html[html.index('<section id="telemetry">') :]
        section = section[: section.index("</section>")]
        assert 'id="telemetry-notice"' in section and telemetry.NO_TELEMETRY[:40] in section
        assert "<svg" not in section and "<table" not in section


def test_qualifying_pages_open_in_a_browser(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    if not browser.find_chromium():
        pytest.skip("no Chromium on this machine (reports/browser.py finds none)")
    path = site / qualifying_path(qualifying_sessions(marts)[0])
    with browser.launch() as chromium:
        for width, mobile in ((1280, False), (390, True)):
            with chromium.page(width=width, mobile=mobile) as tab:
                report = tab.open(path)
                assert report.problems == [], (width, report.problems)


def test_a_session_without_results_says_so(marts: duckdb.DuckDBPyConnection) -> None:
    """qualifying_sessions keeps a session OpenF1 has no classification for (has_results false): its page says so
    and shows no table, chart or empty box (the sample has none such, so one session's row is read with the flag
    as such a session's row holds it)."""
    session = {**qualifying_pages.sessions(Marts(marts))[0], "has_results": False}
    html = (
        environment()
        .get_template("qualifying.html")
        .render(
            session=session,
            results=[],
            grid=[],
            teams=[],
            gap_chart=None,
            season_path="seasons/2025.html",
            fastest_qualifier=None,
            pole_sitter=None,
            telemetry={"available": True, "has_samples": False, "notice": telemetry.NO_TELEMETRY},
            previous=None,
            next=None,
            generated_at="now",
            warehouse="sample",
            page_title="t",
            root="../",
            current="qualifying/x.html",
        )
    )
    assert 'id="no-results"' in html
    assert "<table" not in html and "<svg" not in html and 'class="notice"' in html


# ---- the real 2024 season ----------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.real
def test_real_2024_qualifying_pages_say_what_is_missing(
    real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    warehouse, target, _ = real_2024_build
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        _require_marts(connection, warehouse)
        sessions = qualifying_sessions(connection)
        expected = {session["session_key"]: results(connection, session["session_key"]) for session in sessions}
    assert len(sessions) == 30
    render(warehouse, tmp_path / "site", target)
    for session in sessions:
        path = tmp_path / "site" / qualifying_path(session)
        page, html = parse(path), path.read_text(encoding="utf-8")
        table = page.tables["qualifying-classification"]
        assert [key for key, _ in table.rows] == [row["driver_code"] for row in expected[session["session_key"]]]
        assert 'id="no-laps"' in html and 'id="no-speed-traps"' in html, path
        assert "sectors" not in page.tables and "speed-traps" not in page.tables
        assert page.charts == ["gap-to-pole-chart"]
        timed = [row for row in expected[session["session_key"]] if row["gap_to_pole_s"] is not None]
        assert page.series_counts["gap-to-pole-chart"] == len(timed) > 0
        assert page.tables["grid"].rows
    if browser.find_chromium():
        with browser.launch() as chromium, chromium.page(width=390, mobile=True) as tab:
            report = tab.open(tmp_path / "site" / qualifying_path(sessions[0]))
            assert report.problems == [], report.problems
