"""A result amended after the race, end to end: the simulator publishes a race's result, then a stewards'
decision (a post-race time penalty and a disqualification); the loader takes the first version, then the amended
one inside the amendment window (through the replay server, the real HTTP path); dbt builds after each load.

Checked against the simulator's truth sidecar, never against numbers copied from a run: the classification and
the standings follow the amendment, the history keeps both versions and lists what changed, the race page says
the result is provisional and lists the amendments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports.pages import race_path
from tests.conftest import dbt_env, run_module
from tests.loader.test_amended_results import load, redated, simulate_pair
from tests.reports.test_reports import parse

pytestmark = pytest.mark.slow


def build(warehouse: Path, target: Path) -> None:
    """Seeds and models (the data tests run in make test-dbt), as make transform builds them."""
    built = run_module(
        "dbt.cli.main",
        "build",
        "--quiet",
        "--exclude-resource-type",
        "test",
        "--exclude-resource-type",
        "unit_test",
        env=dbt_env(warehouse, target),
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]


def render(warehouse: Path, target: Path, out: Path) -> None:
    rendered = run_module(
        "reports.render", "--warehouse", str(warehouse), "--out", str(out), "--dbt-target", str(target)
    )
    assert rendered.returncode == 0, rendered.stdout[-2000:] + rendered.stderr[-2000:]


def query(warehouse: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def final_points(warehouse: Path) -> dict[int, float]:
    """Each driver's points after the last round, by the car number he raced in that round."""
    return dict(
        query(
            warehouse,
            """
            select results.driver_number, standings.points
            from marts.driver_standings as standings
            inner join marts.fct_session_results as results
                on standings.driver_id = results.driver_id and standings.season = results.season
            where
                standings.round = (select max(round) from marts.driver_standings)
                and results.session_kind = 'race'
                and results.round_number = standings.round
            """,
        )
    )


@pytest.fixture(scope="module")
def amended_season(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two simulated rounds moved so that the last race ended two days ago (inside the 7-day window), loaded
    and built twice: first result, then the amended one."""
    root = tmp_path_factory.mktemp("amendment-e2e")
    first, amended, truth = simulate_pair(root, "both")
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    first, amended = redated(first, root / "now", ended), redated(amended, root / "now.amended", ended)
    warehouse, target = root / "openf1.duckdb", root / "target"

    load(first, warehouse)
    build(warehouse, target)
    render(warehouse, target, root / "site-first")
    before = {"points": final_points(warehouse), "site": root / "site-first"}
    before["changes"] = query(warehouse, "select count(*) from marts.fct_classification_changes")[0][0]

    load(amended, warehouse)  # inside the window: no --refresh-results needed
    build(warehouse, target)
    render(warehouse, target, root / "site")
    return {"warehouse": warehouse, "truth": truth["amendment"], "before": before, "site": root / "site"}


def test_the_classification_and_standings_follow_the_amendment(amended_season: dict[str, Any]) -> None:
    warehouse, amendment = amended_season["warehouse"], amended_season["truth"]
    race = amendment["session_key"]
    shown = {
        number: (position, points)
        for number, position, points in query(
            warehouse,
            "select driver_number, classified_position, points from marts.fct_session_results where session_key = ?",
            race,
        )
    }
    for change in amendment["classification_changes"]:
        assert shown[change["driver_number"]] == (change["position_after"], change["points_after"]), change
    disqualified = [d["driver_number"] for d in amendment["decisions"] if d["kind"] == "dsq"]
    statuses = dict(
        query(warehouse, "select driver_number, status from marts.fct_session_results where session_key = ?", race)
    )
    assert disqualified and all(statuses[number] == "DSQ" for number in disqualified)

    before, after = amended_season["before"]["points"], final_points(warehouse)
    for change in amendment["classification_changes"]:
        number = change["driver_number"]
        assert after[number] - before[number] == pytest.approx(change["points_after"] - change["points_before"])


def test_the_history_keeps_both_versions_and_lists_the_changes(amended_season: dict[str, Any]) -> None:
    warehouse, amendment = amended_season["warehouse"], amended_season["truth"]
    race = amendment["session_key"]
    assert amended_season["before"]["changes"] == 0
    changes = {
        (number, field): (previous, new)
        for number, field, previous, new in query(
            warehouse,
            "select driver_number, field_name, previous_value, new_value from marts.fct_classification_changes "
            "where session_key = ?",
            race,
        )
    }
    expected_drivers = {change["driver_number"] for change in amendment["classification_changes"]}
    assert {number for number, _ in changes} == expected_drivers
    for change in amendment["classification_changes"]:
        number, after = change["driver_number"], change["position_after"]
        assert changes[(number, "classified_position")] == (
            str(change["position_before"]),
            None if after is None else str(after),
        )
        if change["points_before"] != change["points_after"]:
            assert (number, "points") in changes
    versions = query(
        warehouse,
        "select count(distinct first_seen_load_id), min(first_seen_at) < max(first_seen_at) "
        "from marts.fct_classification_versions where session_key = ?",
        race,
    )
    assert versions == [(2, True)]
    # the other sessions were fetched again too (inside the window) but did not change: no new version
    unchanged = query(
        warehouse,
        "select count(*) from marts.fct_classification_versions where session_key != ? "
        "group by session_key, driver_number having count(*) > 1",
        race,
    )
    assert unchanged == []


def test_the_race_page_is_provisional_and_lists_the_amendments(amended_season: dict[str, Any]) -> None:
    warehouse, amendment = amended_season["warehouse"], amended_season["truth"]
    (race_page,) = [
        {"season": season, "round_number": round_number, "meeting_name": name, "session_kind": "race"}
        for season, round_number, name in query(
            warehouse,
            "select meetings.season, meetings.round_number, meetings.meeting_name from marts.dim_meetings as meetings "
            "where meetings.race_session_key = ?",
            amendment["session_key"],
        )
    ]
    path = race_path(race_page)
    page, html = parse(amended_season["site"] / path), (amended_season["site"] / path).read_text()
    assert 'id="provisional"' in html
    shown = {key.split("-")[0] for key in page.tables["amendments"].by_key()}
    codes = {
        code
        for (code,) in query(
            warehouse,
            "select distinct driver_code from marts.fct_classification_changes where session_key = ?",
            amendment["session_key"],
        )
    }
    assert shown == codes and len(codes) == len(amendment["classification_changes"])
    first_html = (amended_season["before"]["site"] / path).read_text()
    assert 'id="provisional"' in first_html and 'id="amendments"' not in first_html
    provisional = dict(query(warehouse, "select session_key, is_result_provisional from marts.dim_sessions"))
    assert provisional[amendment["session_key"]] is True
    assert False in provisional.values()  # round 1 ended more than seven days before the newest load
