"""The telemetry section of the race pages: every value shown is a telemetry mart's, and a session without car
data says so (the real 2024 Canadian GP, location only, draws a real track map; a real race without any
telemetry shows one notice and no empty boxes).

Expected values are queried from the marts (never copied from output); the pages are rendered from the sample
build (tests/conftest.py ``sample_build``), the real ones from ``../shared/openf1-real`` (skipped when absent).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import browser, formatting, telemetry
from reports.pages import Colours, driver_path, race_path
from reports.queries import Marts
from reports.render import environment, render
from reports.svg import number
from tests.conftest import dbt_env, real_snapshot, run_module
from tests.reports.test_reports import PageParser, race_sessions, rows

pytestmark = pytest.mark.slow

CHANNELS = ("speed", "throttle", "brake", "gear")
CHANNEL_COLUMNS = {"speed": "speed_kph", "throttle": "throttle_pct", "brake": "brake_pct", "gear": "gear"}
CANADA_2024_RACE, MONACO_2024_RACE = 9531, 9523


# ---- reading the section back ------------------------------------------------------------------------------------
def section(path: Path) -> str:
    found = re.search(r'<section id="telemetry">.*?</section>', path.read_text(encoding="utf-8"), re.S)
    assert found, f"{path}: no telemetry section"
    return found.group(0)


def section_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(section(path))
    return parser


def corner_keys(html: str, chart_id: str) -> list[str]:
    chart = re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert chart, chart_id
    return re.findall(r'<g class="corner" data-key="(\d+)"', chart.group(0))


def polyline_points(html: str, chart_id: str) -> list[tuple[float, float]]:
    """The pixel points of a chart's drawn segments (class series), in document order."""
    chart = re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert chart, chart_id
    points = []
    for line in re.findall(r'<polyline points="([^"]+)"[^>]*class="series', chart.group(0)):
        points += [tuple(float(v) for v in pair.split(",")) for pair in line.split()]
    return points  # type: ignore[return-value]


def values(pairs: list[tuple[Any, Any]]) -> str:
    return ",".join(f"{number(a)}:{number(b)}" for a, b in pairs)


# ---- fixtures ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def marts(sample_build: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample_build[0]), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def site(sample_build: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    render(sample_build[0], out, sample_build[1])
    return out


def telemetry_sessions(marts: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    with_samples = {
        r["session_key"] for r in rows(marts, "select distinct session_key from marts.fct_fastest_lap_telemetry")
    }
    sessions = [s for s in race_sessions(marts) if s["session_key"] in with_samples]
    assert sessions, "the sample has no race with telemetry"
    return sessions


def top_laps(marts: duckdb.DuckDBPyConnection, session_key: int) -> list[dict[str, Any]]:
    return rows(
        marts,
        """
        select * from marts.fct_fastest_lap_telemetry
        where session_key = ? and session_lap_rank <= 3 and sample_index = 0
        order by session_lap_rank
        """,
        session_key,
    )


# ---- the sample --------------------------------------------------------------------------------------------------
def test_laps_table_is_the_marts(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in telemetry_sessions(marts):
        table = section_page(site / race_path(session)).tables["telemetry-laps"].by_key()
        laps = top_laps(marts, session["session_key"])
        assert list(table) == [lap["driver_code"] for lap in laps]
        reference = laps[0]
        for lap in laps:
            shown = table[lap["driver_code"]]
            assert shown["rank"] == str(lap["session_lap_rank"])
            assert shown["lap"] == str(lap["lap_number"])
            assert shown["time"] == formatting.lap_time(lap["lap_duration_s"])
            circuit = lap["circuit_lap_length_m"]
            assert shown["distance"] == f"{formatting.fixed(lap['lap_distance_m'], 0)} m" + (
                f" / {formatting.fixed(circuit, 0)}" if circuit else ""
            )
            if lap is reference:
                assert shown["gap"] == shown["mini-sectors"] == "—"
                continue
            pair = rows(
                marts,
                """
                select lap_time_difference_s, compared_mini_sectors_won, reference_mini_sectors_won
                from marts.telemetry_lap_comparisons
                where session_key = ? and reference_driver_number = ? and compared_driver_number = ?
                    and mini_sector_number = 1
                """,
                session["session_key"],
                reference["driver_number"],
                lap["driver_number"],
            )[0]
            assert shown["gap"] == formatting.gap(pair["lap_time_difference_s"])
            assert (
                shown["mini-sectors"] == f"{pair['compared_mini_sectors_won']} – {pair['reference_mini_sectors_won']}"
            )


def test_trace_chart_draws_the_samples_and_the_delta(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in telemetry_sessions(marts):
        series = section_page(site / race_path(session)).series["telemetry-trace"]
        laps = top_laps(marts, session["session_key"])
        expected: dict[str, str] = {}
        for lap in laps:
            samples = rows(
                marts,
                "select * from marts.fct_fastest_lap_telemetry where session_key = ? and driver_number = ?"
                " order by sample_index",
                session["session_key"],
                lap["driver_number"],
            )
            for channel in CHANNELS:
                drawn = [(s["distance_m"], s[CHANNEL_COLUMNS[channel]]) for s in samples]
                expected[f"{channel}:{lap['driver_code']}"] = values(drawn)
        for lap in laps[1:]:
            deltas = rows(
                marts,
                "select distance_m, delta_s from marts.telemetry_lap_deltas where session_key = ?"
                " and reference_driver_number = ? and compared_driver_number = ? order by grid_index",
                session["session_key"],
                laps[0]["driver_number"],
                lap["driver_number"],
            )
            expected[f"delta:{lap['driver_code']}"] = values([(d["distance_m"], d["delta_s"]) for d in deltas])
        assert series == expected, race_path(session)


def test_dominance_map_is_the_mini_sector_winners(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in telemetry_sessions(marts):
        html = section(site / race_path(session))
        page = section_page(site / race_path(session))
        laps = top_laps(marts, session["session_key"])
        codes = {lap["driver_number"]: lap["driver_code"] for lap in laps}
        comparisons = rows(
            marts,
            "select mini_sector_number, faster_driver_number from marts.telemetry_lap_comparisons"
            " where session_key = ? and reference_driver_number = ? and compared_driver_number = ?"
            " order by mini_sector_number",
            session["session_key"],
            laps[0]["driver_number"],
            laps[1]["driver_number"],
        )
        expected = {str(row["mini_sector_number"]): codes[row["faster_driver_number"]] for row in comparisons}
        assert page.series["telemetry-dominance"] == expected
        corners = rows(
            marts,
            "select corner_number from marts.circuit_corners where session_key = ? order by 1",
            session["session_key"],
        )
        assert corners, race_path(session)
        assert corner_keys(html, "telemetry-dominance") == [str(c["corner_number"]) for c in corners]
        assert corner_keys(html, "telemetry-speed-map") == [str(c["corner_number"]) for c in corners]


def test_speed_map_colours_every_sample_of_the_fastest_lap(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in telemetry_sessions(marts):
        series = section_page(site / race_path(session)).series["telemetry-speed-map"]
        samples = rows(
            marts,
            "select sample_index, speed_kph from marts.fct_fastest_lap_telemetry"
            " where session_key = ? and session_lap_rank = 1 order by sample_index",
            session["session_key"],
        )
        drawn = ",".join(series[key] for key in sorted(series, key=int))
        assert drawn == ",".join(f"{s['sample_index']}:{s['speed_kph']}" for s in samples)


def test_teammates_table_is_the_marts(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in telemetry_sessions(marts):
        path = site / race_path(session)
        table = section_page(path).tables["telemetry-teammates"].by_key()
        pairs = rows(
            marts,
            "select * from marts.telemetry_lap_comparisons where session_key = ? and is_teammate_pair"
            " and mini_sector_number = 1",
            session["session_key"],
        )
        assert set(table) == {f"{p['reference_driver_code']}-{p['compared_driver_code']}" for p in pairs}
        for pair in pairs:
            shown = table[f"{pair['reference_driver_code']}-{pair['compared_driver_code']}"]
            assert shown["faster"] == pair["reference_driver_code"]
            assert shown["slower"] == pair["compared_driver_code"]
            assert shown["faster-time"] == formatting.lap_time(pair["reference_lap_duration_s"])
            assert shown["slower-time"] == formatting.lap_time(pair["compared_lap_duration_s"])
            assert shown["gap"] == formatting.gap(pair["lap_time_difference_s"])
            assert (
                shown["mini-sectors"] == f"{pair['reference_mini_sectors_won']} – {pair['compared_mini_sectors_won']}"
            )
        links = set(section_page(path).links)
        for pair in pairs:
            for side in ("reference", "compared"):
                assert f"../{driver_path(pair['season'], pair[f'{side}_driver_id'])}" in links


def test_teammates_delta_chart_is_the_marts(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    """One line per pair of teammates: the slower lap's delta to the faster along the grid (telemetry_lap_deltas)."""
    drawn = 0
    for session in telemetry_sessions(marts):
        series = section_page(site / race_path(session)).series.get("telemetry-teammate-deltas", {})
        deltas = rows(
            marts,
            "select * from marts.telemetry_lap_deltas where session_key = ? and is_teammate_pair"
            " order by reference_driver_number, compared_driver_number, grid_index",
            session["session_key"],
        )
        expected: dict[str, list[tuple[Any, Any]]] = {}
        for row in deltas:
            key = f"{row['reference_driver_code']}-{row['compared_driver_code']}"
            expected.setdefault(key, []).append((row["distance_m"], row["delta_s"]))
        assert {key: values(points) for key, points in expected.items()} == series
        drawn += len(series)
    assert drawn >= 10  # the sample's races have teammates with telemetry


def test_a_session_without_telemetry_says_so(marts: duckdb.DuckDBPyConnection) -> None:
    """A qualifying session of the sample has no telemetry: one notice, no chart, no table."""
    session_key = rows(
        marts,
        "select session_key from marts.dim_sessions where session_kind = 'qualifying'"
        " and session_key not in (select session_key from marts.fct_fastest_lap_telemetry) order by 1 limit 1",
    )[0]["session_key"]
    context = telemetry.section_context(marts, session_key, Colours(Marts(marts).team_colours()))
    html = environment().get_template("_telemetry.html").render(telemetry=context, root="")
    assert telemetry.NO_TELEMETRY in html
    assert "<svg" not in html and "<table" not in html


# ---- real data ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_canada(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The 2024 Canadian GP race with its real location and the Monaco GP race without telemetry, loaded by the
    pipeline (the season's meetings, sessions, drivers...) and built by dbt: the warehouse and the rendered site."""
    season, location = real_snapshot("2024-season"), real_snapshot("2024-canada-location")
    work = tmp_path_factory.mktemp("real-canada")
    snapshot = work / "snapshot"
    snapshot.mkdir()
    for path in season.iterdir():
        (snapshot / path.name).symlink_to(path)
    (snapshot / "location.jsonl.gz").symlink_to(location / "location.jsonl.gz")
    warehouse, target = work / "w.duckdb", work / "target"
    for session, extra in ((CANADA_2024_RACE, ["--telemetry"]), (MONACO_2024_RACE, [])):
        loaded = run_module(
            "dlt_pipelines.pipeline", "--source", str(snapshot), "--warehouse", str(warehouse),
            "--session", str(session), "--quiet", *extra,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr[-3000:]
    built = run_module("dbt.cli.main", "build", "--quiet", timeout=900, env=dbt_env(warehouse, target))
    # every model and data test passed, the telemetry ones included (distance increases, lap length, map closes)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    render(warehouse, work / "site", target)
    return warehouse, work / "site"


def _real_page(warehouse: Path, site: Path, session_key: int) -> Path:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        session = next(s for s in race_sessions(connection) if s["session_key"] == session_key)
    return site / race_path(session)


@pytest.mark.real
def test_real_canada_draws_a_track_map_from_location(real_canada: tuple[Path, Path]) -> None:
    warehouse, site = real_canada
    page_path = _real_page(warehouse, site, CANADA_2024_RACE)
    html = section(page_path)
    page = section_page(page_path)
    assert telemetry.LOCATION_ONLY in html
    assert "telemetry-trace" not in page.charts  # no speed: no trace
    assert {"telemetry-speed-map", "telemetry-dominance"} <= set(page.charts)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        laps = top_laps(connection, CANADA_2024_RACE)
        assert {lap["distance_source"] for lap in laps} == {"path"}
        # the x/y path's length against the official 4.361 km: chords cut the corners a little, never much
        shares = [
            row[0]
            for row in connection.execute(
                "select distinct lap_distance_m / circuit_lap_length_m from marts.fct_fastest_lap_telemetry"
                " where session_key = ?",
                [CANADA_2024_RACE],
            ).fetchall()
        ]
        assert len(shares) >= 10 and all(0.98 <= share <= 1.0 for share in shares), shares
        corners = connection.execute(
            "select count(*) from marts.circuit_corners where session_key = ?", [CANADA_2024_RACE]
        ).fetchone()[0]
        samples = connection.execute(
            "select count(*) from marts.fct_fastest_lap_telemetry where session_key = ? and session_lap_rank = 1",
            [CANADA_2024_RACE],
        ).fetchone()[0]
    assert corners == 0 and corner_keys(html, "telemetry-speed-map") == []
    assert list(page.tables["telemetry-laps"].by_key()) == [lap["driver_code"] for lap in laps]
    outline = polyline_points(html, "telemetry-speed-map")
    assert len(outline) == samples + 1  # every sample, and back to the first: the map is closed by drawing
    first, last_sample = outline[0], outline[-2]
    span = max(
        max(p[0] for p in outline) - min(p[0] for p in outline), max(p[1] for p in outline) - min(p[1] for p in outline)
    )
    assert math.dist(first, last_sample) < 0.05 * span  # the real lap itself closes on itself
    if browser.find_chromium():
        with browser.launch() as chromium, chromium.page() as tab:
            assert tab.open(page_path).problems == []


@pytest.mark.real
def test_real_race_without_telemetry_says_so(real_canada: tuple[Path, Path]) -> None:
    warehouse, site = real_canada
    html = section(_real_page(warehouse, site, MONACO_2024_RACE))
    assert telemetry.NO_TELEMETRY in html
    assert "<svg" not in html and "<table" not in html and "<figure" not in html
