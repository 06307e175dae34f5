"""The season page's "Title fight" section: every value it shows is a column of the championship marts.

Renders the sample (``tests.reports.test_reports.sample_warehouse``) and reads each season page back: the table of
who can still win after each round (the round's Grand Prix, the points still available, how many can still win,
each contender with his gap and the countback mark, his chip linked to his driver page), the round each title was
decided and its champion, and the chart's lines (each contender's gap with a can-still-win flag per round, and the
points still available). Expected values are queried here from the marts, independently of ``reports/title.py``.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import charts_title, formatting, pages, svg, title
from reports.queries import Marts
from reports.render import environment, render
from tests.reports.test_reports import parse, rows, sample_warehouse

CHAMPIONSHIPS = ("drivers", "constructors")


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    return sample_warehouse(sample_build)


@pytest.fixture(scope="module")
def marts(sample: tuple[Path, Path]) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(sample[0]), read_only=True)


@pytest.fixture(scope="module")
def site(sample: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("title-site")
    render(sample[0], out, sample[1])
    return out


def _seasons(marts: duckdb.DuckDBPyConnection) -> list[int]:
    return [row["season"] for row in rows(marts, "select distinct season from marts.championship_title_fight")]


def _section(page: str, championship: str) -> str:
    """The HTML of one championship's part of the section (from its decider line to the end of its table)."""
    start = page.index(f'<p class="title-decider" data-key="{championship}"')
    return page[start : page.index("</table>", start)]


def _table_rows(section: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-key="(\d+)">(.*?)</tr>', section, flags=re.S))


def _cells(row_html: str) -> list[str]:
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row_html, flags=re.S)
    ]


def test_the_chart_draws_the_values_it_is_given() -> None:
    """Fast: each line's data-values are its points (round:gap:can-still-win) and the available line its own."""
    chart = charts_title.title_chart(
        [
            charts_title.ContenderLine(
                "a", "AAA", "#123456", [charts_title.GapPoint(1, 0.0, True), charts_title.GapPoint(2, 0.0, True)]
            ),
            charts_title.ContenderLine(
                "b", "BBB", "#654321", [charts_title.GapPoint(1, 7.5, True), charts_title.GapPoint(2, 40.0, False)]
            ),
        ],
        [(1, 33.0), (2, 0.0)],
        "title-chart-test",
        "driver",
    )
    assert 'class="chart"' in chart and "<script" not in chart
    assert 'data-key="a" data-values="1:0:1,2:0:1"' in chart
    assert 'data-key="b" data-values="1:7.5:1,2:40:0"' in chart
    assert f'data-key="{charts_title.AVAILABLE_KEY}" data-values="1:33,2:0"' in chart


def test_without_the_marts_the_section_says_so() -> None:
    """Fast: a warehouse without the championship marts gives no championships (the page shows a notice)."""
    with duckdb.connect(":memory:") as connection:
        connection.execute("create schema marts")
        context = title.title_context(Marts(connection), 2025, pages.Colours([]))
    assert context == {"championships": [], "has_marts": False}


def test_who_can_still_win_after_each_round_is_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    seasons = _seasons(marts)
    assert seasons, "championship_title_fight is empty in the sample"
    for season in seasons:
        page = (site / pages.season_path(season)).read_text(encoding="utf-8")
        for championship in CHAMPIONSHIPS:
            fight = rows(
                marts,
                """
                select fight.*, meetings.meeting_name
                from marts.championship_title_fight as fight
                left join marts.dim_meetings as meetings
                    on fight.season = meetings.season and fight.round = meetings.round_number
                where fight.season = ? and fight.championship = ?
                order by fight.round, fight.position, fight.contender_id
                """,
                season,
                championship,
            )
            shown = _table_rows(_section(page, championship))
            assert list(shown) == list(dict.fromkeys(str(row["round"]) for row in fight))
            for round_key, row_html in shown.items():
                round_rows = [row for row in fight if str(row["round"]) == round_key]
                first = round_rows[0]
                cells = _cells(row_html)
                assert cells[:4] == [
                    round_key,
                    first["meeting_name"],
                    formatting.points(first["points_still_available"]),
                    str(first["contenders_able_to_win"]),
                ]
                contenders = re.findall(
                    r'<span class="contender" data-key="([^"]*)" data-gap="([^"]*)">(.*?)</span>(?= · |$)',
                    row_html.split('<td class="wrap">', 1)[1].rsplit("</td>", 1)[0],
                    flags=re.S,
                )
                able = [row for row in round_rows if row["can_still_win"]]
                assert [(html.unescape(key), gap) for key, gap, _ in contenders] == [
                    (row["contender_id"], formatting.points(row["gap_to_leader_points"])) for row in able
                ]
                for (_, _, chip), row in zip(contenders, able, strict=True):
                    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", chip)).split())
                    label = row["driver_code"] or row["contender_name"]
                    mark = " =" if row["needs_countback"] else ""
                    assert text == f"{label} {formatting.points(row['gap_to_leader_points'])}{mark}"
                    links = re.findall(r'href="([^"]*)"', chip)
                    expected = pages.driver_path(season, row["driver_id"])
                    assert links == ([f"../{expected}"] if expected else [])


def test_decided_round_and_champion_are_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for season in _seasons(marts):
        page = (site / pages.season_path(season)).read_text(encoding="utf-8")
        deciders = rows(
            marts,
            """
            select deciders.*, meetings.meeting_name
            from marts.championship_title_deciders as deciders
            left join marts.dim_meetings as meetings
                on deciders.season = meetings.season and deciders.decided_round = meetings.round_number
            where deciders.season = ?
            """,
            season,
        )
        assert {row["championship"] for row in deciders} == set(CHAMPIONSHIPS)
        for row in deciders:
            section = _section(page, row["championship"])
            line = section[: section.index("</p>")]
            decided = re.search(r'data-decided-round="([^"]*)" data-champion="([^"]*)"', line)
            assert decided is not None
            assert decided.groups() == (
                "" if row["decided_round"] is None else str(row["decided_round"]),
                row["champion_id"] or "",
            )
            text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", line.split(">", 1)[1])).split())
            if row["is_decided"]:
                spare = row["rounds_to_spare"]
                assert text == (
                    f"Decided after round {row['decided_round']} ({row['meeting_name']}), {spare} "
                    f"round{'' if spare == 1 else 's'} to spare: {row['champion_driver_code'] or row['champion_name']} "
                    f"{row['champion_name']}."
                )
                expected = pages.driver_path(season, row["champion_driver_id"])
                assert re.findall(r'href="([^"]*)"', line) == ([f"../{expected}"] if expected else [])
            else:
                assert text == f"Still open after round {row['latest_round']}."


def test_chart_plots_each_contenders_gap_against_the_points_available(
    site: Path, marts: duckdb.DuckDBPyConnection
) -> None:
    for season in _seasons(marts):
        series = parse(site / pages.season_path(season)).series
        for championship in CHAMPIONSHIPS:
            fight = rows(
                marts,
                "select * from marts.championship_title_fight where season = ? and championship = ?"
                " order by round, contender_id",
                season,
                championship,
            )
            drawn = series[f"title-chart-{championship}"]
            available = dict.fromkeys(f"{row['round']}:{svg.number(row['points_still_available'])}" for row in fight)
            assert drawn.pop(charts_title.AVAILABLE_KEY) == ",".join(available)
            latest = [row for row in fight if row["is_latest_round"]]
            expected: dict[str, Any] = {
                row["contender_id"]
                for row in latest
                if row["position"] <= title.CHART_TOP_POSITIONS or row["can_still_win"]
            }
            assert set(drawn) == expected
            for key, values in drawn.items():
                assert values == ",".join(
                    f"{row['round']}:{svg.number(row['gap_to_leader_points'])}:{1 if row['can_still_win'] else 0}"
                    for row in fight
                    if row["contender_id"] == key
                )


def test_driver_standings_chips_link_to_driver_pages(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for season in _seasons(marts):
        page = (site / pages.season_path(season)).read_text(encoding="utf-8")
        table = page[page.index('<table id="driver-standings">') :]
        table = table[: table.index("</table>")]
        shown = dict(re.findall(r'<tr data-key="([^"]*)">.*?href="([^"]*)"', table, flags=re.S))
        final = rows(
            marts,
            "select driver_code, driver_id from marts.driver_standings where season = ? and is_latest_round",
            season,
        )
        assert shown == {row["driver_code"]: f"../{pages.driver_path(season, row['driver_id'])}" for row in final}


def test_a_contender_who_can_only_draw_level_is_marked_for_countback() -> None:
    """Fast: the page from a tiny championship_title_fight (one round to come, 26 points): C, 26 behind, can at
    best draw level and is marked '=' (needs_countback); D, also 26 behind but short on wins, is not listed; the
    title is still open; the chips link to the driver pages."""
    with duckdb.connect(":memory:") as connection:
        connection.execute("create schema marts")
        connection.execute(
            """
            create table marts.championship_title_fight as select * replace (
                cast(points as double) as points,
                cast(gap_to_leader_points as double) as gap_to_leader_points,
                cast(points_still_available as double) as points_still_available
            ) from (values
                (2024, 5, 'drivers', 'a-a', 'a-a', 'AAA', 'A A', 'X', 100.0, 1, 0.0, 1, 26.0, true, false, 2, true),
                (2024, 5, 'drivers', 'c-c', 'c-c', 'CCC', 'C C', 'Y', 74.0, 2, 26.0, 1, 26.0, true, true, 2, true),
                (2024, 5, 'drivers', 'd-d', 'd-d', 'DDD', 'D D', 'Y', 74.0, 3, 26.0, 1, 26.0, false, true, 2, true)
            ) as t(season, round, championship, contender_id, driver_id, driver_code, contender_name, team_name,
                points, position, gap_to_leader_points, remaining_rounds, points_still_available, can_still_win,
                needs_countback, contenders_able_to_win, is_latest_round)
            """
        )
        connection.execute(
            """
            create table marts.championship_title_deciders as select * from (values
                (2024, 'drivers', 5, cast(null as integer), false, cast(null as integer), cast(null as varchar),
                 cast(null as varchar), cast(null as varchar), cast(null as varchar), cast(null as varchar))
            ) as t(season, championship, latest_round, decided_round, is_decided, rounds_to_spare, champion_id,
                champion_driver_id, champion_driver_code, champion_name, champion_team_name)
            """
        )
        connection.execute(
            "create table marts.dim_meetings as select 2024 as season, 5 as round_number, 'Miami Grand Prix' as"
            " meeting_name"
        )
        context = title.title_context(Marts(connection), 2024, pages.Colours([]))
    page = (
        environment()
        .get_template("season.html")
        .render(
            generated_at="",
            warehouse="",
            page_title="2024 season",
            root="../",
            current="seasons/2024.html",
            season=2024,
            rounds=[],
            last_round=None,
            driver_standings=[],
            constructor_standings=[],
            driver_chart=None,
            constructor_chart=None,
            teams=[],
            head_to_heads=[],
            title_fight=context,
        )
    )
    section = _section(page, "drivers")
    assert "Still open after round 5." in " ".join(section.split())
    cells = _cells(_table_rows(section)["5"])
    assert cells == ["5", "Miami Grand Prix", "26", "2", "AAA 0 · CCC 26 ="]
    assert re.findall(r'href="([^"]*)"', section) == [
        f"../{pages.driver_path(2024, 'a-a')}",
        f"../{pages.driver_path(2024, 'c-c')}",
    ]


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_title_fight_section(
    real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]],
) -> None:
    """The real 2024 season: the section's context holds both titles, a row per classified round, a chart each,
    and the decision as the deciders mart holds it (the drivers' title decided before the last round)."""
    path, _, built = real_2024_build
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    with duckdb.connect(str(path), read_only=True) as connection:
        marts = Marts(connection)
        context = title.title_context(marts, 2024, pages.Colours(marts.team_colours()))
        deciders = {
            row["championship"]: row
            for row in rows(connection, "select * from marts.championship_title_deciders where season = 2024")
        }
        rounds = rows(
            connection,
            "select round from marts.championship_points_available"
            " where season = 2024 and championship = 'drivers' and is_race_classified order by round",
        )
    assert [fight["key"] for fight in context["championships"]] == list(CHAMPIONSHIPS)
    for fight in context["championships"]:
        decider = deciders[fight["key"]]
        assert [entry["round"] for entry in fight["rounds"]] == [row["round"] for row in rounds]
        assert fight["chart"] is not None and "<script" not in fight["chart"]
        assert (fight["decider"]["decided_round"], fight["decider"]["champion_id"]) == (
            decider["decided_round"],
            decider["champion_id"],
        )
        decided = next(entry for entry in fight["rounds"] if entry["round"] == decider["decided_round"])
        assert [row["contender_id"] for row in decided["contenders"]] == [decider["champion_id"]]
    assert deciders["drivers"]["rounds_to_spare"] > 0
