"""The race and season pages' builders: one per chart, a named style per driver, nothing computed in Python.

Fast: the builders get rows shaped like the marts' (from ``reports/queries.py``, run on a small in-memory
``marts`` schema where SQL is involved); the whole site against the sample is ``tests/reports/test_reports.py``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from reports import charts, drivers, pages, qualifying, queries, telemetry, title
from reports.queries import Marts
from tests.conftest import ROOT

PAGES_SOURCE = Path(pages.__file__)
QUERIES_SOURCE = Path(queries.__file__)
# the page builders of each page kind beside pages.py: each holds its own SELECTs and arranges their rows
PAGE_KIND_SOURCES = [Path(module.__file__) for module in (drivers, qualifying, telemetry, title)]


@pytest.fixture
def marts() -> Iterator[Marts]:
    with duckdb.connect(":memory:") as connection:
        connection.execute("create schema marts")
        yield Marts(connection)


@pytest.mark.parametrize("source", [PAGES_SOURCE, *PAGE_KIND_SOURCES], ids=lambda path: path.name)
def test_pages_compute_no_aggregate(source: Path) -> None:
    """Reports compute nothing a mart can hold: no max, min or sum over rows in the page builders."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    calls = [
        f"{node.func.id} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"max", "min", "sum"}
    ]
    assert calls == [], f"reports/{source.name} computes {calls}: select the value from a mart"


def test_driver_styles_name_colour_dash_and_team() -> None:
    colours = pages.Colours(
        [
            {"season": 2025, "team_name": "Red Bull Racing", "team_colour_hex": "3671C6"},
            {"season": 2025, "team_name": "Ferrari", "team_colour_hex": "E80020"},
        ]
    )
    classification = [
        {"driver_number": 1, "driver_code": "VER", "team_name": "Red Bull Racing"},
        {"driver_number": 16, "driver_code": "LEC", "team_name": "Ferrari"},
        {"driver_number": 22, "driver_code": "TSU", "team_name": "Red Bull Racing"},
    ]
    laps = {1: [{"driver_code": "VER"}], 99: [{"driver_code": None, "driver_number": 99}]}
    styles = pages.driver_styles(2025, classification, laps, colours)
    assert list(styles) == [1, 16, 22, 99]  # the classification's order, then the car only in the laps
    assert styles[1] == pages.DriverStyle("VER", "#3671c6", None, "Red Bull Racing")
    assert styles[22].colour == "#3671c6" and styles[22].dash == pages.DASHES[1]  # the teammate: dashed
    assert styles[16].dash is None
    assert styles[99] == pages.DriverStyle("99", pages.FALLBACK_COLOUR, None, None)
    assert styles[1].legend == "VER (Red Bull Racing)" and styles[99].legend == "99 (?)"


def test_lap_chart_starts_on_the_grid_in_the_driver_style() -> None:
    styles = {
        1: pages.DriverStyle("VER", "#3671c6", None, "Red Bull Racing"),
        22: pages.DriverStyle("TSU", "#3671c6", "6 3", "Red Bull Racing"),
    }
    classification = [{"driver_number": 1, "grid_position": 2}, {"driver_number": 22, "grid_position": None}]
    laps = {
        1: [{"lap_number": 1, "position_at_lap_end": 1}, {"lap_number": 2, "position_at_lap_end": 1}],
        22: [{"lap_number": 1, "position_at_lap_end": 2}, {"lap_number": 2, "position_at_lap_end": None}],
    }
    markup = str(pages.lap_chart(styles, classification, laps))
    assert 'data-key="VER" data-values="0:2,1:1,2:1"' in markup  # from the grid slot, lap 0
    assert 'data-key="TSU"' not in markup  # one position is not a line
    assert pages.lap_chart(styles, classification, {}) is None


@pytest.mark.parametrize("path", [QUERIES_SOURCE, *PAGE_KIND_SOURCES], ids=lambda path: path.name)
def test_queries_only_select(path: Path) -> None:
    """The report's SQL selects, filters and orders mart columns: a count, a maximum, a window or a pattern match
    over the marts is a value a mart can hold (dim_sessions.laps_run, fct_race_lap_leaders, ...), so it lives there."""
    source = path.read_text(encoding="utf-8")
    derived = re.compile(
        r"\b(greatest|least|max|min|sum|count|avg|arg_max|arg_min|row_number|rank|dense_rank)\s*\(|\bqualify\b"
        r"|\bover\s*\(|\b(i?like)\b|\bgroup\s+by\b",
        re.I,
    )
    sql = [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\bselect\b", node.value)
    ]
    found = sorted({match.group(0).lower() for text in sql for match in derived.finditer(text)})
    assert found == [], f"reports/{path.name} derives {found} in SQL: add the column to a mart and select it"
    assert "mart change:" not in source


def test_race_laps_and_the_virtual_safety_car_are_mart_columns(marts: Marts) -> None:
    connection = marts.connection
    connection.execute(
        "create table marts.dim_sessions as select * from (values (7, 58), (8, null)) as t(session_key, laps_run)"
    )
    connection.execute(
        """
        create table marts.fct_race_control as select * from (values
            (7, 1, timestamp '2025-03-16 05:10:00', 'SafetyCar', null, 'VIRTUAL SAFETY CAR DEPLOYED', false, 12, true),
            (7, 2, timestamp '2025-03-16 05:20:00', 'SafetyCar', null, 'SAFETY CAR DEPLOYED', false, 20, false),
            (7, 3, timestamp '2025-03-16 05:30:00', 'Flag', 'YELLOW', 'YELLOW IN TRACK SECTOR 4', false, 30, false),
            (7, 4, timestamp '2025-03-16 05:40:00', 'Flag', 'BLUE', 'BLUE FLAG FOR CAR 2', false, 31, false)
        ) as t(
            session_key, race_control_message_id, recorded_at, category, flag, message, is_penalty, lap_number,
            is_virtual_safety_car
        )
        """
    )
    assert marts.race_laps(7) == 58
    assert marts.race_laps(8) == 0  # neither a classification nor laps: laps_run is null
    assert marts.race_laps(9) == 0  # a session the marts do not hold
    messages = marts.race_control(7)
    assert [message["is_virtual_safety_car"] for message in messages] == [True, False, False]
    colours = [event.colour for event in map(pages._race_control_event, messages)]
    assert colours == [
        charts.TRACK_STATUS_COLOURS["vsc"],
        charts.TRACK_STATUS_COLOURS["sc"],
        pages.FLAG_COLOURS["YELLOW"],
    ]


def test_leader_laps_are_fct_race_lap_leaders(marts: Marts) -> None:
    marts.connection.execute(
        """
        create table marts.fct_race_lap_leaders as select * from (values
            (7, 2, 16, 'LEC', 'vsc'),
            (7, 1, 1, 'VER', 'green'),
            (8, 1, 44, 'HAM', 'green')
        ) as t(session_key, lap_number, leader_driver_number, leader_driver_code, track_status)
        """
    )
    assert marts.leader_laps(7) == [
        {"session_key": 7, "lap_number": 1, "track_status": "green", "leader_driver_code": "VER"},
        {"session_key": 7, "lap_number": 2, "track_status": "vsc", "leader_driver_code": "LEC"},
    ]
    assert marts.leader_laps(9) == []  # a session the mart does not hold


def test_final_standings_are_the_latest_round_with_the_latest_team(marts: Marts) -> None:
    """A driver who moved team mid-season is drawn in the colour of the last team raced for."""
    marts.connection.execute(
        """
        create table marts.driver_standings as select * from (values
            (2025, 1, 'law', 'LAW', 'Red Bull Racing', 'Red Bull Racing', 0.0, 2, false),
            (2025, 2, 'law', 'LAW', 'Racing Bulls', 'Racing Bulls', 4.0, 1, false),
            (2025, 3, 'law', 'LAW', null, 'Racing Bulls', 4.0, 1, true),
            (2025, 1, 'ver', 'VER', 'Red Bull Racing', 'Red Bull Racing', 25.0, 1, false),
            (2025, 3, 'ver', 'VER', 'Red Bull Racing', 'Red Bull Racing', 25.0, 2, true)
        ) as t(season, round, driver_id, driver_code, team_name, latest_team_name, points, position, is_latest_round)
        """
    )
    marts.connection.execute(
        """
        create table marts.constructor_standings as select * from (values
            (2025, 2, 'Racing Bulls', 4.0, 2, false),
            (2025, 3, 'Red Bull Racing', 25.0, 1, true),
            (2025, 3, 'Racing Bulls', 4.0, 2, true)
        ) as t(season, round, team_name, points, position, is_latest_round)
        """
    )
    final = marts.final_driver_standings(2025)
    assert [(row["driver_code"], row["round"], row["latest_team_name"]) for row in final] == [
        ("LAW", 3, "Racing Bulls"),
        ("VER", 3, "Red Bull Racing"),
    ]
    teams = marts.final_constructor_standings(2025)
    assert [(row["team_name"], row["round"]) for row in teams] == [("Red Bull Racing", 3), ("Racing Bulls", 3)]


def test_every_mart_the_site_reads_is_in_an_exposure() -> None:
    """models/_exposures.yml declares what the report site reads (dbt docs' lineage ends in the pages): every
    `marts.<table>` a reports module selects from is some page's dependency."""
    exposures = yaml.safe_load((ROOT / "models" / "_exposures.yml").read_text(encoding="utf-8"))["exposures"]
    declared = {
        re.fullmatch(r"ref\('(\w+)'\)", ref).group(1)  # type: ignore[union-attr]
        for exposure in exposures
        for ref in exposure["depends_on"]
    }
    read = set()
    for module in sorted((ROOT / "reports").glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\bselect\b", node.value):
                read |= set(re.findall(r"\bmarts\.(\w+)", node.value))
    assert read, "no SQL found in reports/"
    assert sorted(read - declared) == [], "read by the reports but in no exposure of models/_exposures.yml"
