"""The qualifying marts (models/marts/qualifying/): qualifying_session_results and qualifying_sessions.

Sample: every value is recomputed here from the simulator's own snapshot files (session_result, laps,
starting_grid, drivers: what the simulator wrote, read without the pipeline or dbt), and the marts must agree;
the simulator runs five-car knock-outs and grids without penalties, and every car sets a time in each phase it
reaches, so the phase reached is also readable from the times. The marts also agree with the other homes of the
same facts (driver_race_features' gap to pole, driver_season_summary's two pole counts).

Real 2024 (slow, real): known facts of the season (Spa and Qatar, where the fastest qualifier did not start from
pole; Australia's 19 cars; Stroll in Brazil and Piastri in Spain, in Q3 without a Q3 time), the grid's first
slot against OpenF1's raw starting_grid, and no lap-based column where OpenF1 has no qualifying laps.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import ROOT, real_snapshot
from tests.reports.test_reports import sample_warehouse

SNAPSHOT = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1"
MARTS = ("qualifying_session_results", "qualifying_sessions")
PHASES = ("Q1", "Q2", "Q3")

pytestmark = pytest.mark.slow  # the sample's marts: built by make test-dbt, or by the first test that needs them


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _records(folder: Path, endpoint: str) -> list[dict[str, Any]]:
    with gzip.open(folder / f"{endpoint}.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _require_marts(connection: duckdb.DuckDBPyConnection, where: Path) -> None:
    built = {
        row[0]
        for row in connection.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
    }
    missing = [name for name in MARTS if name not in built]
    assert not missing, f"{where} lacks marts {missing}: rebuild it (make transform WAREHOUSE=...)"


@pytest.fixture(scope="module")
def marts(sample_build: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    warehouse, _ = sample_warehouse(sample_build)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        _require_marts(connection, warehouse)
        yield connection


@pytest.fixture(scope="module")
def simulated() -> dict[str, Any]:
    """The simulator's qualifying sessions as it wrote them: results, laps, grid and teams by (session, car)."""
    sessions = {
        row["session_key"]: row for row in _records(SNAPSHOT, "sessions") if row["session_type"] == "Qualifying"
    }
    results = {
        (row["session_key"], row["driver_number"]): row
        for row in _records(SNAPSHOT, "session_result")
        if row["session_key"] in sessions
    }
    laps: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for lap in _records(SNAPSHOT, "laps"):
        if lap["session_key"] in sessions:
            laps[(lap["session_key"], lap["driver_number"])].append(lap)
    grid = {(row["session_key"], row["driver_number"]): row["position"] for row in _records(SNAPSHOT, "starting_grid")}
    teams = {
        (row["session_key"], row["driver_number"]): row["team_name"]
        for row in _records(SNAPSHOT, "drivers")
        if row["session_key"] in sessions
    }
    return {"sessions": sessions, "results": results, "laps": laps, "grid": grid, "teams": teams}


# ---- the sample against the simulator's own record --------------------------------------------------------------
def test_every_simulated_qualifying_has_its_rows(marts: duckdb.DuckDBPyConnection, simulated: dict[str, Any]) -> None:
    sessions = {row["session_key"] for row in _rows(marts, "select session_key from marts.qualifying_sessions")}
    assert sessions == set(simulated["sessions"])
    keys = {
        (row["session_key"], row["driver_number"])
        for row in _rows(marts, "select session_key, driver_number from marts.qualifying_session_results")
    }
    assert keys == set(simulated["results"])


def test_times_phases_and_gap_to_pole_are_the_simulators(
    marts: duckdb.DuckDBPyConnection, simulated: dict[str, Any]
) -> None:
    poles: dict[int, float] = {}
    for (session_key, _), result in simulated["results"].items():
        best = min(time for time in result["duration"] if time is not None)
        poles[session_key] = min(best, poles.get(session_key, best))
    for row in _rows(marts, "select * from marts.qualifying_session_results"):
        result = simulated["results"][(row["session_key"], row["driver_number"])]
        times = result["duration"]
        assert [row["q1_duration_s"], row["q2_duration_s"], row["q3_duration_s"]] == times
        # the simulator's cars all set a time in every phase they reach: the deepest time is the phase reached
        reached = max(index for index, time in enumerate(times) if time is not None)
        assert row["phase_reached"] == PHASES[reached], row["driver_code"]
        pole = poles[row["session_key"]]
        best = min(time for time in times if time is not None)
        assert row["pole_duration_s"] == pole
        assert row["gap_to_pole_s"] == pytest.approx(best - pole, abs=5e-4)
        assert row["gap_to_pole_pct"] == pytest.approx(100 * (best - pole) / pole, abs=5e-4)


def test_knockouts_are_the_simulators_five_cars(marts: duckdb.DuckDBPyConnection, simulated: dict[str, Any]) -> None:
    for session in _rows(marts, "select * from marts.qualifying_sessions"):
        cars = [result for key, result in simulated["results"].items() if key[0] == session["session_key"]]
        out_q1 = [r for r in cars if r["duration"][1] is None]
        out_q2 = [r for r in cars if r["duration"][1] is not None and r["duration"][2] is None]
        assert (session["eliminated_in_q1_count"], session["eliminated_in_q2_count"]) == (len(out_q1), len(out_q2))
        assert session["q2_car_count"] == len(cars) - len(out_q1)
        assert session["q3_car_count"] == len(cars) - len(out_q1) - len(out_q2)
        through_q1 = [r["duration"][0] for r in cars if r["duration"][1] is not None]
        assert session["q1_slowest_through_duration_s"] == max(through_q1)
        assert session["q1_fastest_eliminated_duration_s"] == min(r["duration"][0] for r in out_q1)
        assert session["q2_fastest_eliminated_duration_s"] == min(r["duration"][1] for r in out_q2)


def test_sectors_ideal_lap_and_speeds_are_the_simulators_laps(
    marts: duckdb.DuckDBPyConnection, simulated: dict[str, Any]
) -> None:
    rows = _rows(marts, "select * from marts.qualifying_session_results")
    assert any(row["ideal_lap_duration_s"] is not None for row in rows)
    for row in rows:
        laps = simulated["laps"][(row["session_key"], row["driver_number"])]
        sectors = [
            min((lap[f"duration_sector_{n}"] for lap in laps if lap[f"duration_sector_{n}"] is not None), default=None)
            for n in (1, 2, 3)
        ]
        best_lap = min((lap["lap_duration"] for lap in laps if lap["lap_duration"] is not None), default=None)
        assert row["lap_count"] == len(laps)
        assert [row[f"best_sector_{n}_duration_s"] for n in (1, 2, 3)] == sectors
        assert row["best_lap_duration_s"] == best_lap
        ideal = sum(sectors) if None not in sectors else None  # type: ignore[arg-type]
        assert row["ideal_lap_duration_s"] == pytest.approx(ideal, abs=5e-4)
        assert row["time_left_on_table_s"] == pytest.approx(best_lap - ideal, abs=5e-4)
        assert row["time_left_on_table_s"] >= 0
        trap = max((lap["st_speed"] for lap in laps if lap["st_speed"] is not None), default=None)
        assert row["best_speed_trap_speed_kph"] == trap
    for session_key in {row["session_key"] for row in rows}:
        cars = [row for row in rows if row["session_key"] == session_key]
        for n in (1, 2, 3):
            best = min(row[f"best_sector_{n}_duration_s"] for row in cars)
            flagged = {row["driver_number"] for row in cars if row[f"is_session_best_sector_{n}"]}
            assert flagged == {row["driver_number"] for row in cars if row[f"best_sector_{n}_duration_s"] == best}


def test_teammates_and_grid_are_the_simulators(marts: duckdb.DuckDBPyConnection, simulated: dict[str, Any]) -> None:
    rows = _rows(marts, "select * from marts.qualifying_session_results")
    for row in rows:
        key = (row["session_key"], row["driver_number"])
        mates = [
            other
            for other in simulated["teams"]
            if other[0] == key[0] and other != key and simulated["teams"][other] == simulated["teams"][key]
        ]
        assert len(mates) == 1, key
        assert row["teammate_driver_number"] == mates[0][1]
        mine, theirs = simulated["results"][key]["duration"], simulated["results"][mates[0]]["duration"]
        phase = max(index for index in range(3) if mine[index] is not None and theirs[index] is not None)
        assert row["teammate_compared_phase"] == PHASES[phase]
        assert row["teammate_gap_s"] == pytest.approx(mine[phase] - theirs[phase], abs=5e-4)
        assert row["grid_position"] == simulated["grid"][key]
        # the simulator hands out no grid penalties: the grid is the qualifying order
        assert row["grid_change"] == 0 and row["starts_from_pole"] == (row["qualifying_position"] == 1)


# ---- one fact, one home -----------------------------------------------------------------------------------------
def test_gap_to_pole_is_the_features_gap_to_pole(marts: duckdb.DuckDBPyConnection) -> None:
    compared = _rows(
        marts,
        """
        select results.gap_to_pole_s, features.qualifying_gap_to_pole_s
        from marts.qualifying_session_results as results
        inner join features.driver_race_features as features
            on results.session_key = features.qualifying_session_key and results.driver_id = features.driver_id
        """,
    )
    assert compared
    for row in compared:
        assert row["gap_to_pole_s"] == pytest.approx(row["qualifying_gap_to_pole_s"], abs=5e-4)


def test_pole_counts_are_the_season_summarys(marts: duckdb.DuckDBPyConnection) -> None:
    counted = _rows(
        marts,
        """
        select summary.season, summary.driver_id, summary.pole_positions, summary.fastest_qualifier_count,
            count(case when sessions.pole_sitter_driver_id = summary.driver_id then 1 end) as poles,
            count(case when sessions.fastest_qualifier_driver_id = summary.driver_id then 1 end) as fastest
        from marts.driver_season_summary as summary
        inner join marts.qualifying_sessions as sessions
            on summary.season = sessions.season and sessions.session_kind = 'qualifying'
        group by all
        """,
    )
    assert sum(row["poles"] for row in counted) > 0
    for row in counted:
        assert (row["poles"], row["fastest"]) == (row["pole_positions"] or 0, row["fastest_qualifier_count"]), row


# ---- the real 2024 season ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real(real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> Iterator[duckdb.DuckDBPyConnection]:
    warehouse, _, _ = real_2024_build
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        _require_marts(connection, warehouse)
        yield connection


def _car(real: duckdb.DuckDBPyConnection, round_number: int, kind: str, code: str) -> dict[str, Any]:
    found = _rows(
        real,
        "select * from marts.qualifying_session_results"
        " where season = 2024 and round_number = ? and session_kind = ? and driver_code = ?",
        round_number,
        kind,
        code,
    )
    assert len(found) == 1, (round_number, kind, code)
    return found[0]


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_known_qualifying_facts(real: duckdb.DuckDBPyConnection) -> None:
    sessions = {
        (row["round_number"], row["session_kind"]): row
        for row in _rows(real, "select * from marts.qualifying_sessions where season = 2024")
    }
    assert sum(1 for kind in sessions if kind[1] == "qualifying") == 24
    assert sum(1 for kind in sessions if kind[1] == "sprint_qualifying") == 6
    # Belgium (round 14): Verstappen fastest, a ten-place engine penalty; Leclerc started from pole
    spa = sessions[(14, "qualifying")]
    assert (spa["fastest_qualifier_driver_code"], spa["pole_sitter_driver_code"]) == ("VER", "LEC")
    assert _car(real, 14, "qualifying", "VER")["grid_change"] == 10
    # Qatar (round 23): Verstappen fastest, a one-place penalty for impeding Russell, who started from pole
    qatar = sessions[(23, "qualifying")]
    assert (qatar["fastest_qualifier_driver_code"], qatar["pole_sitter_driver_code"]) == ("VER", "RUS")
    # Australia (round 3): 19 cars (Sargeant withdrawn), so four dropped out in Q1
    australia = sessions[(3, "qualifying")]
    assert (australia["entrant_count"], australia["eliminated_in_q1_count"]) == (19, 4)
    # in Q3 without a Q3 time: Stroll in Brazil (round 21, red flag), Piastri in Spain (round 10, lap deleted)
    for round_number, code in ((21, "STR"), (10, "PIA")):
        car = _car(real, round_number, "qualifying", code)
        assert (car["phase_reached"], car["q3_duration_s"], car["qualifying_position"]) == ("Q3", None, 10)
    # no 2024 qualifying has laps in OpenF1: lap-based columns are null, and the sessions say why
    assert all(not row["has_laps"] and row["ideal_lap_duration_s"] is None for row in sessions.values())
    assert real.execute(
        "select count(*) from marts.qualifying_session_results where season = 2024"
        " and (ideal_lap_duration_s is not null or best_speed_trap_speed_kph is not null)"
    ).fetchone() == (0,)


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_pole_sitters_are_openf1s_grid(real: duckdb.DuckDBPyConnection) -> None:
    raw_poles = {
        row["session_key"]: row["driver_number"]
        for row in _records(real_snapshot("2024-season"), "starting_grid")
        if row["position"] == 1
    }
    sessions = _rows(real, "select session_key, pole_sitter_driver_number from marts.qualifying_sessions")
    assert sessions
    for session in sessions:
        assert session["pole_sitter_driver_number"] == raw_poles.get(session["session_key"]), session
