"""The driver pages' marts (models/marts/drivers/): driver_season_rounds, season_champions and the columns they
add to driver_season_summary, checked against the marts they read on the simulated sample, and against the
official 2024 results (truth-2024, f1db) on the real season.

Every expected value is read from another mart or from the truth CSVs, never copied from output.
"""

from __future__ import annotations

import csv
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import real_snapshot
from tests.models.test_marts_truth import KNOWN_GAPS

pytestmark = pytest.mark.slow


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample_build[0]), read_only=True) as connection:
        yield connection


# ---- the simulated sample ----------------------------------------------------------------------------------------
def test_one_row_per_race_and_sprint_result(sample: duckdb.DuckDBPyConnection) -> None:
    results = _rows(
        sample,
        "select session_key, driver_id, grid_position, classified_position, points from marts.fct_session_results"
        " where session_kind in ('race', 'sprint') and round_number is not null and driver_id is not null",
    )
    rounds = _rows(
        sample,
        "select session_key, driver_id, grid_position, classified_position, points from marts.driver_season_rounds",
    )
    key = lambda row: (row["session_key"], row["driver_id"])  # noqa: E731
    assert len(results) > 0
    assert sorted(rounds, key=key) == sorted(results, key=key)


def test_positions_gained_pit_stops_and_qualifying(sample: duckdb.DuckDBPyConnection) -> None:
    rounds = _rows(sample, "select * from marts.driver_season_rounds")
    stops = Counter(
        (row["session_key"], row["driver_id"])
        for row in _rows(sample, "select session_key, driver_id from marts.fct_pit_stops")
    )
    sessions_with_stops = {session_key for session_key, _ in stops}
    qualifying = {
        (row["session_key"], row["driver_id"]): row["qualifying_position"]
        for row in _rows(sample, "select session_key, driver_id, qualifying_position from marts.fct_qualifying")
    }
    meetings = {
        row["meeting_key"]: row
        for row in _rows(
            sample, "select meeting_key, qualifying_session_key, sprint_qualifying_session_key from marts.dim_meetings"
        )
    }
    for row in rounds:
        grid, finish = row["grid_position"], row["classified_position"]
        assert row["positions_gained"] == (grid - finish if grid is not None and finish is not None else None), row
        expected_stops = (
            stops[(row["session_key"], row["driver_id"])] if row["session_key"] in sessions_with_stops else None
        )
        assert row["pit_stops"] == expected_stops, row
        meeting = meetings[row["meeting_key"]]
        source = "qualifying_session_key" if row["session_kind"] == "race" else "sprint_qualifying_session_key"
        assert row["qualifying_session_key"] == meeting[source], row
        assert row["qualifying_position"] == qualifying.get((meeting[source], row["driver_id"])), row
    assert any(row["positions_gained"] for row in rounds)
    assert any(row["pit_stops"] for row in rounds)


def test_championship_after_the_round_is_driver_standings(sample: duckdb.DuckDBPyConnection) -> None:
    standings = {
        (row["season"], row["round"], row["driver_id"]): (row["points"], row["position"])
        for row in _rows(sample, "select season, round, driver_id, points, position from marts.driver_standings")
    }
    rounds = _rows(sample, "select * from marts.driver_season_rounds")
    for row in rounds:
        expected = standings[(row["season"], row["round_number"], row["driver_id"])]
        assert (row["championship_points_after"], row["championship_position_after"]) == expected, row


def test_teammate_flags_add_up_to_the_head_to_heads(sample: duckdb.DuckDBPyConnection) -> None:
    """Per round, ahead of the teammate at the flag and in qualifying: counted over the Grands Prix they are
    teammate_head_to_heads' totals."""
    _assert_flags_add_up(sample)


def _assert_flags_add_up(sample: duckdb.DuckDBPyConnection) -> None:
    races = Counter()
    qualifyings = Counter()
    together = Counter()
    for row in _rows(sample, "select * from marts.driver_season_rounds where session_kind = 'race'"):
        if row["teammate_driver_id"] is None:
            continue
        pair = (row["season"], row["team_name"], row["driver_id"], row["teammate_driver_id"])
        together[pair] += 1
        races[pair] += bool(row["is_ahead_of_teammate_in_race"])
        qualifyings[pair] += bool(row["is_ahead_of_teammate_in_qualifying"])
    head_to_heads = _rows(sample, "select * from marts.teammate_head_to_heads")
    assert head_to_heads
    for row in head_to_heads:
        pair = (row["season"], row["team_name"], row["driver_id"], row["teammate_driver_id"])
        assert (together[pair], races[pair], qualifyings[pair]) == (
            row["races_together"],
            row["races_ahead"],
            row["qualifyings_ahead"],
        ), row


def test_season_summary_mean_positions_gained(sample: duckdb.DuckDBPyConnection) -> None:
    gained: dict[tuple[int, str], list[int]] = {}
    stops: dict[tuple[int, str], list[int]] = {}
    for row in _rows(sample, "select * from marts.driver_season_rounds where session_kind = 'race'"):
        key = (row["season"], row["driver_id"])
        if row["positions_gained"] is not None:
            gained.setdefault(key, []).append(row["positions_gained"])
        if row["pit_stops"] is not None:
            stops.setdefault(key, []).append(row["pit_stops"])
    summaries = _rows(sample, "select * from marts.driver_season_summary")
    for row in summaries:
        key = (row["season"], row["driver_id"])
        values = gained.get(key, [])
        mean = sum(values) / len(values) if values else None
        assert row["mean_positions_gained"] == (pytest.approx(mean) if values else None), row
        assert row["races_with_positions_gained"] == len(values), row
        assert row["race_pit_stops"] == (sum(stops[key]) if key in stops else None), row


def test_season_champions_are_the_standings_leaders(sample: duckdb.DuckDBPyConnection) -> None:
    champions = _rows(sample, "select * from marts.season_champions")
    assert champions
    for row in champions:
        scheduled = _rows(
            sample,
            "select round_number from marts.dim_meetings where season = ? and round_number is not null",
            row["season"],
        )
        raced = _rows(
            sample,
            "select distinct round_number from marts.fct_session_results where season = ? and session_kind = 'race'",
            row["season"],
        )
        assert row["scheduled_rounds"] == len(scheduled)
        assert row["latest_round_number"] == max(r["round_number"] for r in raced)
        assert row["is_season_complete"] == (len(raced) == len(scheduled))
        leader = _rows(
            sample,
            "select driver_id, points from marts.driver_standings where season = ? and round = ? and position = 1",
            row["season"],
            row["latest_round_number"],
        )
        team = _rows(
            sample,
            "select team_name, points from marts.constructor_standings where season = ? and round = ? and position = 1",
            row["season"],
            row["latest_round_number"],
        )
        assert (row["drivers_leader_driver_id"], row["drivers_leader_points"]) == tuple(leader[0].values())
        assert (row["constructors_leader_team_name"], row["constructors_leader_points"]) == tuple(team[0].values())
    # the simulated sample runs every round it schedules
    assert all(row["is_season_complete"] for row in champions)


# ---- the real 2024 season ----------------------------------------------------------------------------------------
def _truth(name: str) -> list[dict[str, str]]:
    with open(real_snapshot("truth-2024") / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def real(real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> Iterator[duckdb.DuckDBPyConnection]:
    path, _, built = real_2024_build
    assert built.returncode == 0, built.stdout[-5000:] + built.stderr[-3000:]
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


@pytest.mark.real
def test_real_points_progression_is_the_official_standings(real: duckdb.DuckDBPyConnection) -> None:
    """A driver page's points after every round (driver_season_rounds) are the official standings, round by round."""
    expected = {
        (int(r["round"]), r["driver_code"]): (float(r["points"]), int(r["position"]))
        for r in _truth("driver_standings.csv")
    }
    rounds = _rows(real, "select * from marts.driver_season_rounds where season = 2024")
    assert len({row["round_number"] for row in rounds}) == 24
    actual = {
        (row["round_number"], row["driver_code"]): (
            row["championship_points_after"],
            row["championship_position_after"],
        )
        for row in rounds
    }
    assert {key: (value, expected.get(key)) for key, value in actual.items() if expected.get(key) != value} == {}


@pytest.mark.real
def test_real_pit_stops_per_race_are_the_official_counts(real: duckdb.DuckDBPyConnection) -> None:
    codes = {(int(r["round"]), int(r["driver_number"])): r["driver_code"] for r in _truth("results.csv")}
    official = {
        (int(r["round"]), codes[(int(r["round"]), int(r["driver_number"]))]): int(r["stops"])
        for r in _truth("pit_stop_counts.csv")
    }
    rounds = _rows(real, "select * from marts.driver_season_rounds where season = 2024 and session_kind = 'race'")
    # f1db lists only drivers who stopped: a classified driver absent from its counts made none
    mismatches = {
        (row["round_number"], row["driver_code"]): (
            official.get((row["round_number"], row["driver_code"]), 0),
            row["pit_stops"],
        )
        for row in rounds
        if official.get((row["round_number"], row["driver_code"]), 0) != row["pit_stops"]
    }
    known = {(r, code) for (check, r, code) in KNOWN_GAPS if check == "pit_stops"}
    assert set(mismatches) <= known, mismatches


@pytest.mark.real
def test_real_champions_are_the_official_ones(real: duckdb.DuckDBPyConnection) -> None:
    final_round = max(int(r["round"]) for r in _truth("driver_standings.csv"))
    driver = next(r for r in _truth("driver_standings.csv") if int(r["round"]) == final_round and r["position"] == "1")
    team = next(
        r for r in _truth("constructor_standings.csv") if int(r["round"]) == final_round and r["position"] == "1"
    )
    (row,) = _rows(real, "select * from marts.season_champions where season = 2024")
    assert row["is_season_complete"] and row["latest_round_number"] == final_round
    assert (row["drivers_leader_driver_code"], row["drivers_leader_points"]) == (
        driver["driver_code"],
        float(driver["points"]),
    )
    assert row["constructors_leader_points"] == float(team["points"])
    assert team["constructor_name"].lower() in row["constructors_leader_team_name"].lower()


@pytest.mark.real
def test_real_teammate_flags_add_up_to_the_head_to_heads(real: duckdb.DuckDBPyConnection) -> None:
    _assert_flags_add_up(real)


@pytest.mark.real
def test_real_mean_positions_gained(real: duckdb.DuckDBPyConnection) -> None:
    """Grid slot (starting_grid, after penalties) minus finish, averaged: every 2024 driver with a Grand Prix
    start and finish has one, and a pit-stop total (OpenF1 has pit data for every 2024 Grand Prix)."""
    summaries = _rows(real, "select * from marts.driver_season_summary where season = 2024")
    with_gain = [row for row in summaries if row["races_with_positions_gained"] > 0]
    assert len(with_gain) >= 20
    assert all(row["mean_positions_gained"] is not None for row in with_gain)
    assert all(row["race_pit_stops"] is not None for row in summaries if row["races_started"] > 0)
