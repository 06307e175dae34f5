"""The static report site: every page renders from the marts, every value shown is the mart's, every link works.

The sample warehouse is conftest's ``sample_build``: the one ``make test-dbt`` builds (``warehouse/test/sample.duckdb``)
when it is up to date, else pytest's own, built the same way once for every test that reads it. Expected values are
always queried from the marts, never copied from output. The real 2024 season (slow) is loaded from
``../shared/openf1-real/2024-season`` and skipped when that is absent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import browser, charts, formatting, svg
from reports.pages import race_path
from reports.render import main, render
from tests.conftest import run_module

REPORT_MARTS = (
    "dim_meetings",
    "dim_sessions",
    "dim_teams",
    "fct_laps",
    "fct_race_lap_leaders",
    "fct_stints",
    "fct_pit_stops",
    "fct_session_results",
    "fct_qualifying",
    "fct_race_control",
    "fct_weather",
    "driver_standings",
    "constructor_standings",
    "driver_season_summary",
    "team_performance",
    "undercuts",
    "fct_fastest_lap_telemetry",
    "qualifying_session_results",
    "championship_title_fight",
    "driver_season_rounds",
    "season_champions",
)


# ---- reading the HTML back ---------------------------------------------------------------------------------------
@dataclass
class Table:
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str | None, list[str]]] = field(default_factory=list)

    def by_key(self) -> dict[str | None, dict[str, str]]:
        return {key: dict(zip(self.columns, cells, strict=False)) for key, cells in self.rows}


class PageParser(HTMLParser):
    """Tables by id (columns from ``th[data-col]``, rows keyed by ``tr[data-key]``), chart series, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, Table] = {}
        self.series: dict[str, dict[str, str]] = {}  # chart id -> data-key -> data-values
        self.series_counts: dict[str, int] = {}
        self.charts: list[str] = []
        self.links: list[str] = []
        self.sources: list[str] = []
        self.scripts = 0
        self._table: Table | None = None
        self._cell: list[str] | None = None
        self._row: tuple[str | None, list[str]] | None = None
        self._chart: str | None = None
        self._svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"] or "")
        for name in ("src", "srcset"):
            if attributes.get(name):
                self.sources.append(attributes[name] or "")
        if tag == "link" and attributes.get("href"):
            self.sources.append(attributes["href"] or "")
        if tag == "svg":
            self._svg_depth += 1
            if "chart" in (attributes.get("class") or "").split():
                self._chart = attributes.get("id") or f"chart-{len(self.charts)}"
                self.charts.append(self._chart)
                self.series.setdefault(self._chart, {})
                self.series_counts[self._chart] = 0
        if self._chart and "series" in (attributes.get("class") or "").split():
            self.series_counts[self._chart] += 1
            if attributes.get("data-key") is not None:
                self.series[self._chart][attributes["data-key"] or ""] = attributes.get("data-values") or ""
        if tag == "table" and attributes.get("id"):
            self._table = self.tables.setdefault(attributes["id"] or "", Table())
        if self._table is not None:
            if tag == "th" and "data-col" in attributes:
                self._table.columns.append(attributes["data-col"] or "")
            elif tag == "tr":
                self._row = (attributes.get("data-key"), [])
            elif tag == "td":
                self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg_depth -= 1
            if self._svg_depth == 0:
                self._chart = None
        if self._table is None:
            return
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row[1]:
                self._table.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# ---- fixtures ----------------------------------------------------------------------------------------------------
def _has_marts(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            names = {
                row[0]
                for row in connection.execute(
                    "select table_name from duckdb_tables() where schema_name = 'marts'"
                ).fetchall()
            }
    except duckdb.Error:
        return False
    return set(REPORT_MARTS) <= names


def sample_warehouse(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    """The sample warehouse built by dbt, and its dbt target path: conftest's ``sample_build`` (``make test-dbt``'s
    when up to date, else pytest's own, one build for every test that reads it).
    ``OPENF1_REPORT_WAREHOUSE`` (and ``OPENF1_REPORT_DBT_TARGET``) name another one.
    """
    override = os.environ.get("OPENF1_REPORT_WAREHOUSE")
    if override:
        return Path(override), Path(os.environ.get("OPENF1_REPORT_DBT_TARGET", sample_build[1]))
    return sample_build


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    return sample_warehouse(sample_build)


@pytest.fixture(scope="module")
def marts(sample: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample[0]), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def site(sample: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    render(sample[0], out, sample[1])
    return out


def rows(connection: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def race_sessions(connection: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(
        connection,
        """
        select sessions.session_key, sessions.session_kind, sessions.meeting_key, meetings.season,
            meetings.round_number, meetings.meeting_name
        from marts.dim_sessions as sessions
        inner join marts.dim_meetings as meetings on sessions.meeting_key = meetings.meeting_key
        where sessions.session_kind in ('race', 'sprint') and meetings.round_number is not null
            and sessions.session_key in (select session_key from marts.fct_session_results)
        order by sessions.session_key
        """,
    )


# ---- units -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        pytest.param(0, 57, [0, 10, 20, 30, 40, 50], id="laps"),
        pytest.param(83.5, 89.9, [84, 85, 86, 87, 88, 89], id="lap-times"),
        pytest.param(0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0], id="fractions"),
        pytest.param(5, 5, [5], id="single-value"),
    ],
)
def test_nice_ticks(low: float, high: float, expected: list[float]) -> None:
    assert svg.nice_ticks(low, high, 6) == pytest.approx(expected)


def test_svg_elements_escape_text_and_attributes() -> None:
    markup = svg.element("text", {"data_key": 'a"b', "skip": None}, svg.text("<VER & co>"))
    assert markup == '<text data-key="a&quot;b">&lt;VER &amp; co&gt;</text>'


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        pytest.param(formatting.lap_time, 83.718, "1:23.718", id="lap-time"),
        pytest.param(formatting.race_time, 5147.674, "1:25:47.674", id="race-time"),
        pytest.param(formatting.gap, 1.917, "+1.917s", id="gap"),
        pytest.param(formatting.points, 25.0, "25", id="points-whole"),
        pytest.param(formatting.points, 0.5, "0.5", id="points-half"),
        pytest.param(formatting.points, None, "—", id="points-none"),
        pytest.param(formatting.slug, "São Paulo Grand Prix", "sao-paulo-grand-prix", id="slug"),
    ],
)
def test_formatting(function: Any, value: Any, expected: str) -> None:
    assert function(value) == expected


def test_pit_chart_keeps_red_flag_passages_on_the_scale() -> None:
    bars = [
        charts.PitBar("VER", "VER", "#3671c6", 1, 1575.6, None),
        charts.PitBar("LEC", "LEC", "#e80020", 20, 22.9, 2.3),
    ]
    markup = str(charts.pit_chart(bars))
    heights = [float(value) for value in re.findall(r'height="([\d.]+)"', markup)]
    assert max(heights) < 280  # the 1575 s bar stops at the top of the plot
    assert "1575.6" in markup  # ...and keeps its value in the data (and the tooltip)


# ---- the sample site ---------------------------------------------------------------------------------------------
def test_index_links_every_race_and_season(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    index = parse(site / "index.html")
    for session in race_sessions(marts):
        assert race_path(session) in index.links
        assert (site / race_path(session)).is_file()
    seasons = [row["season"] for row in rows(marts, "select distinct season from marts.driver_standings")]
    for season in seasons:
        assert f"seasons/{season}.html" in index.links
    assert "quality.html" in index.links


def test_pages_are_self_contained(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        parsed = parse(page)
        assert parsed.scripts == 0, page
        assert parsed.sources == [], page  # no external images, styles or fonts
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), page
        assert "https://" not in text, page
        for link in parsed.links:
            assert (page.parent / link.split("#")[0]).resolve().is_file(), f"{page}: broken link {link}"


CHART_SOURCES = {  # chart id -> the mart rows it draws, for one session
    "lap-chart": "select 1 from marts.fct_laps where session_key = ? and position_at_lap_end is not null",
    "strategy-chart": "select 1 from marts.fct_stints where session_key = ?",
    "pace-chart": "select 1 from marts.fct_laps where session_key = ? and is_clean_lap",
    "pit-chart": "select 1 from marts.fct_pit_stops where session_key = ?",
    "race-control-chart": "select 1 from marts.fct_laps where session_key = ? and track_status is not null"
    " and position_at_lap_end is not null",
    "weather-chart": "select 1 from marts.fct_weather where session_key = ?",
}


def test_every_chart_is_non_empty_svg(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for page in sorted(site.rglob("*.html")):
        parsed = parse(page)
        for chart in parsed.charts:
            assert parsed.series_counts[chart] > 0, f"{page.name}: chart {chart} draws nothing"
    sources = dict(CHART_SOURCES)
    has_gap = marts.execute(
        "select 1 from information_schema.columns where table_schema = 'marts' and table_name = 'fct_laps'"
        " and column_name = 'gap_to_leader_s'"
    ).fetchall()
    if has_gap:  # the gap chart appears once the marts hold the gap (see the race report's notice)
        sources["gap-chart"] = "select 1 from marts.fct_laps where session_key = ? and gap_to_leader_s is not null"
    for session in race_sessions(marts):
        drawn = set(parse(site / race_path(session)).charts)
        for chart, sql in sources.items():
            has_rows = bool(marts.execute(sql + " limit 1", [session["session_key"]]).fetchall())
            assert (chart in drawn) == has_rows, (race_path(session), chart)
    assert "lap-chart" in parse(site / race_path(_first_race(marts))).charts


def test_race_classification_is_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in race_sessions(marts):
        table = parse(site / race_path(session)).tables["classification"]
        shown = [(key, cells) for key, cells in table.rows]
        expected = rows(
            marts,
            """
            select driver_code, classified_position, result_class, status, points, laps_completed
            from marts.fct_session_results where session_key = ?
            order by classified_position nulls last, laps_completed desc nulls last, driver_number
            """,
            session["session_key"],
        )
        assert [key for key, _ in shown] == [row["driver_code"] for row in expected]
        for (_, cells), row in zip(shown, expected, strict=True):
            values = dict(zip(table.columns, cells, strict=True))
            position = row["classified_position"]
            assert values["position"] == (str(position) if position is not None else row["result_class"])
            assert values["status"] == row["status"]
            assert values["points"] == formatting.points(row["points"])
            assert values["laps"] == str(row["laps_completed"])


def _first_race(marts: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return next(session for session in race_sessions(marts) if session["session_kind"] == "race")


def test_lap_chart_plots_fct_laps_positions(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    session = _first_race(marts)
    series = parse(site / race_path(session)).series["lap-chart"]
    laps = rows(
        marts,
        "select driver_code, lap_number, position_at_lap_end from marts.fct_laps"
        " where session_key = ? and position_at_lap_end is not null order by driver_code, lap_number",
        session["session_key"],
    )
    expected: dict[str, list[str]] = {}
    for lap in laps:
        expected.setdefault(lap["driver_code"], []).append(f"{lap['lap_number']}:{lap['position_at_lap_end']}")
    grid = {
        row["driver_code"]: row["grid_position"]
        for row in rows(
            marts,
            "select qualifying.driver_code, qualifying.grid_position from marts.fct_qualifying as qualifying"
            " inner join marts.dim_sessions as sessions on qualifying.session_key = sessions.session_key"
            " where sessions.meeting_key = ? and sessions.session_kind = 'qualifying'",
            session["meeting_key"],
        )
    }
    assert set(series) == set(expected)
    for code, points in expected.items():
        plotted = series[code].split(",")
        if grid.get(code):
            assert plotted[0] == f"0:{grid[code]}"
            plotted = plotted[1:]
        assert plotted == points


def test_pace_chart_plots_every_clean_lap(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    session = _first_race(marts)
    series = parse(site / race_path(session)).series["pace-chart"]
    clean = rows(
        marts,
        "select driver_code, lap_number, lap_duration_s from marts.fct_laps"
        " where session_key = ? and is_clean_lap and lap_duration_s is not null order by driver_code, lap_number",
        session["session_key"],
    )
    expected: dict[str, list[str]] = {}
    for lap in clean:
        expected.setdefault(lap["driver_code"], []).append(f"{lap['lap_number']}:{lap['lap_duration_s']:.3f}")
    assert {code: values.split(",") for code, values in series.items()} == expected


def test_strategy_and_pit_stops_are_the_marts(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    session = _first_race(marts)
    page = parse(site / race_path(session))
    html = (site / race_path(session)).read_text(encoding="utf-8")
    stints = rows(
        marts,
        "select driver_code, count(*) as stints from marts.fct_stints where session_key = ?"
        " and last_lap_number >= first_lap_number group by driver_code",
        session["session_key"],
    )
    strategy = html[html.index('id="strategy-chart"') : html.index("</svg>", html.index('id="strategy-chart"'))]
    for row in stints:
        group = re.search(rf'data-key="{row["driver_code"]}">(.*?)</g>', strategy, re.DOTALL)
        assert group and group.group(1).count('class="stint"') == row["stints"], row
    stops = rows(
        marts,
        "select driver_code, stop_number, lap_number, lane_duration_s, stop_duration_s, stop_kind, track_status_at_stop"
        " from marts.fct_pit_stops where session_key = ? order by pitted_at nulls last, lap_number, driver_number",
        session["session_key"],
    )
    table = page.tables["pit-stops"].by_key()
    assert list(table) == [f"{stop['driver_code']}-{stop['stop_number']}" for stop in stops]
    for stop in stops:
        shown = table[f"{stop['driver_code']}-{stop['stop_number']}"]
        assert shown["lap"] == str(stop["lap_number"])
        assert shown["lane"] == formatting.seconds(stop["lane_duration_s"])
        assert shown["stationary"] == formatting.seconds(stop["stop_duration_s"])
        assert shown["kind"] == stop["stop_kind"].replace("_", " ")
        assert shown["track"].lower() == stop["track_status_at_stop"]


def test_undercuts_weather_and_track_status_are_the_marts(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in race_sessions(marts):
        page = parse(site / race_path(session))
        undercuts = rows(
            marts,
            "select attacking_stop_lap, attempt_kind, outcome from marts.undercuts where session_key = ?"
            " order by attempt_kind desc, attacking_stop_lap, attacking_position_before",
            session["session_key"],
        )
        shown = page.tables.get("undercuts", Table()).by_key().values()
        assert [(row["lap"], row["kind"].split(" (")[0], row["outcome"]) for row in shown] == [
            (str(row["attacking_stop_lap"]), row["attempt_kind"].replace("_", " "), row["outcome"]) for row in undercuts
        ]
        weather = rows(
            marts,
            "select air_temperature_c from marts.fct_weather where session_key = ? order by recorded_at",
            session["session_key"],
        )
        plotted = page.series.get("weather-chart", {}).get("air", "")
        assert plotted.split(",") == [svg.number(row["air_temperature_c"]) for row in weather]
        leader = rows(
            marts,
            "select lap_number, track_status from marts.fct_laps where session_key = ?"
            " and position_at_lap_end is not null and track_status is not null"
            " qualify row_number() over (partition by lap_number order by position_at_lap_end, driver_number) = 1"
            " order by lap_number",
            session["session_key"],
        )
        statuses = page.series["race-control-chart"]["track-status"].split(",")
        assert statuses == [f"{row['lap_number']}:{row['track_status']}" for row in leader]


def test_season_standings_and_progression_are_the_marts(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for (season,) in marts.execute("select distinct season from marts.driver_standings").fetchall():
        page = parse(site / f"seasons/{season}.html")
        final = rows(
            marts,
            "select driver_code, position, points from marts.driver_standings where season = ?"
            " and round = (select max(round) from marts.driver_standings where season = ?)"
            " order by position, driver_code",
            season,
            season,
        )
        table = page.tables["driver-standings"]
        assert [key for key, _ in table.rows] == [row["driver_code"] for row in final]
        shown = table.by_key()
        for row in final:
            assert shown[row["driver_code"]]["points"] == formatting.points(row["points"])
            assert shown[row["driver_code"]]["position"] == str(row["position"])
        teams = rows(
            marts,
            "select team_name, points from marts.constructor_standings where season = ?"
            " and round = (select max(round) from marts.constructor_standings where season = ?) order by position",
            season,
            season,
        )
        assert [key for key, _ in page.tables["constructor-standings"].rows] == [row["team_name"] for row in teams]
        progression = page.series["driver-points-chart"]
        for row in rows(
            marts,
            "select driver_code, string_agg(round || ':' || points, ',' order by round) as plotted"
            " from marts.driver_standings where season = ? group by driver_code",
            season,
        ):
            expected = ",".join(
                f"{svg.number(float(r))}:{svg.number(float(p))}"
                for r, p in (item.split(":") for item in row["plotted"].split(","))
            )
            assert progression[row["driver_code"]] == expected


def test_teammates_show_the_season_summaries(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    season = marts.execute("select max(season) from marts.driver_season_summary").fetchone()[0]
    html = (site / f"seasons/{season}.html").read_text(encoding="utf-8")
    for row in rows(marts, "select driver_code, points from marts.driver_season_summary where season = ?", season):
        assert f'data-col="{row["driver_code"]}"' in html
    assert 'id="teammates"' in html


def test_teammate_head_to_heads_are_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for (season,) in marts.execute("select distinct season from marts.teammate_head_to_heads").fetchall():
        shown = parse(site / f"seasons/{season}.html").tables["head-to-heads"].by_key()
        pairs = rows(marts, "select * from marts.teammate_head_to_heads where season = ?", season)
        assert len(shown) == len(pairs) > 0
        for pair in pairs:
            cells = shown[f"{pair['team_name']}|{pair['driver_code']}|{pair['teammate_driver_code']}"]
            assert cells["races"] == f"{pair['races_ahead']} of {pair['races_together']}"
            assert cells["qualifying"] == f"{pair['qualifyings_ahead']} of {pair['qualifyings_together']}"


def test_quality_page_reports_the_last_build(site: Path, sample: tuple[Path, Path]) -> None:
    results = json.loads((sample[1] / "build_results.json").read_text())["results"]  # make transform's record
    page = parse(site / "quality.html")
    tests = page.tables["build-tests"].rows
    assert len(tests) == sum(1 for result in results if result["unique_id"].startswith(("test.", "unit_test.")))
    counts = page.tables["row-counts"].by_key()
    with duckdb.connect(str(sample[0]), read_only=True) as connection:
        laps = connection.execute("select count(*) from marts.fct_laps").fetchone()[0]
        raw_laps = connection.execute("select count(*) from raw_openf1.laps").fetchone()[0]
    assert counts["marts.fct_laps"]["rows"] == f"{laps:,}"
    assert counts["raw_openf1.laps"]["rows"] == f"{raw_laps:,}"
    assert page.tables["known-gaps"].rows  # the tests allowed to warn, read from the manifest


def test_quality_page_without_dbt_artefacts(sample: tuple[Path, Path], tmp_path: Path) -> None:
    render(sample[0], tmp_path, None)
    html = (tmp_path / "quality.html").read_text(encoding="utf-8")
    assert "No dbt build on record" in html and "no <code>--dbt-target</code> given" in html
    assert 'id="row-counts"' in html


def test_cli_renders_and_fails_cleanly(sample: tuple[Path, Path], tmp_path: Path) -> None:
    assert main(["--warehouse", str(sample[0]), "--out", str(tmp_path / "site"), "--dbt-target", str(sample[1])]) == 0
    assert (tmp_path / "site" / "index.html").is_file()
    missing = run_module("reports.render", "--warehouse", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x"))
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "does not exist" in missing.stderr


# ---- the real 2024 season ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_2024(real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> tuple[Path, Path]:
    """The real 2024 season's warehouse (its marts: a failing dbt test does not stop the report)."""
    warehouse, target, built = real_2024_build
    assert _has_marts(warehouse), built.stdout[-5000:] + built.stderr[-3000:]
    return warehouse, target


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_season_renders(real_2024: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, target = real_2024
    site = render(warehouse, tmp_path / "site", target)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        sessions = race_sessions(connection)
    assert sessions
    for session in sessions:
        page = parse(tmp_path / "site" / race_path(session))
        assert page.tables["classification"].rows, race_path(session)
        assert "strategy-chart" in page.charts, race_path(session)
        for chart in page.charts:
            assert page.series_counts[chart] > 0, f"{race_path(session)}: {chart}"
    assert (tmp_path / "site" / "seasons" / "2024.html").is_file()
    if browser.find_chromium():  # and a reader's browser opens the index and a race without complaint
        with browser.launch() as chromium, chromium.page() as tab:
            for path in (site.index, tmp_path / "site" / race_path(sessions[-1])):
                report = tab.open(path)
                assert report.problems == [], path
