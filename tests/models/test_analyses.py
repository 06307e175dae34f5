"""The analysts' cookbook (analyses/): dbt compiles every analysis (into a target folder of the test's own)
and each compiled query runs on the published sample: rows, the expected columns, and a value checked against
the marts by independent SQL. make query SQL_FILE=analyses/... (which resolves ref() itself) gives the same
rows as dbt's compiled SQL."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, dbt_env, run_module

ANALYSES = ROOT / "analyses"
COLUMNS = {
    "race_winners_by_season": [
        "season",
        "round_number",
        "meeting_name",
        "circuit_short_name",
        "driver_code",
        "full_name",
        "team_name",
        "grid_position",
        "race_duration_s",
        "points",
        "season_wins_so_far",
    ],
    "championship_after_each_round": [
        "season",
        "round",
        "meeting_name",
        "position",
        "driver_code",
        "full_name",
        "team_name",
        "points",
        "round_points",
        "wins",
        "points_behind_leader",
    ],
    "pit_stops_per_team": [
        "season",
        "team_name",
        "race_pit_stops",
        "races_with_stops",
        "green_flag_stops",
        "stops_per_race",
        "median_lane_duration_s",
        "fastest_lane_duration_s",
        "median_stationary_s",
        "fastest_stationary_s",
    ],
    "degradation_by_compound_and_circuit": [
        "season",
        "circuit_short_name",
        "compound",
        "stints",
        "clean_laps",
        "median_degradation_s_per_lap",
        "mean_degradation_s_per_lap",
    ],
    "undercut_success_by_team": [
        "season",
        "team_name",
        "attempt_kind",
        "attempts",
        "successes",
        "failures",
        "unknown_outcomes",
        "success_pct",
    ],
    "teammate_battles": [
        "season",
        "team_name",
        "driver_code",
        "teammate_driver_code",
        "races_together",
        "races_ahead",
        "teammate_races_ahead",
        "qualifyings_together",
        "qualifyings_ahead",
        "teammate_qualifyings_ahead",
        "points",
        "teammate_points",
        "points_margin",
    ],
}
Rows = list[dict[str, object]]


def test_every_analysis_is_listed_here_and_says_what_it_answers() -> None:
    files = sorted(ANALYSES.glob("*.sql"))
    assert sorted(path.stem for path in files) == sorted(COLUMNS)
    for path in files:
        header = path.read_text().split("-#}")[0]
        assert header.startswith("{#-") and "?" in header, f"{path.name}: start with a {{#- ... -#}} question"


@pytest.fixture(scope="module")
def compiled(published_sample: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """dbt compile of the analyses, name -> SQL. dbt renders ref() as "<catalog>"."<schema>"."<table>", the
    catalog being the warehouse file's stem: it compiles against an empty file named like the published copy
    (compiling reads no data), so the SQL runs on the copy as it is."""
    work = tmp_path_factory.mktemp("analyses")
    target = work / "target"
    stand_in = work / published_sample[0].name
    done = run_module(
        "dbt.cli.main",
        "compile",
        "--select",
        "resource_type:analysis",
        "--quiet",
        timeout=600,
        env=dbt_env(stand_in, target),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    folder = target / "compiled" / "openf1" / "analyses"
    return {path.stem: path.read_text() for path in folder.glob("*.sql")}


@pytest.fixture(scope="module")
def copy(published_sample: tuple[Path, Path, Path]) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(published_sample[0]), read_only=True)


def run(copy: duckdb.DuckDBPyConnection, sql: str) -> Rows:
    cursor = copy.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def scalar(copy: duckdb.DuckDBPyConnection, sql: str) -> object:
    return copy.execute(sql).fetchone()[0]


def results(compiled: dict[str, str], copy: duckdb.DuckDBPyConnection, name: str) -> Rows:
    rows = run(copy, compiled[name])
    assert rows, f"{name}: no rows on the sample"
    assert list(rows[0]) == COLUMNS[name]
    return rows


@pytest.mark.slow
def test_dbt_compiles_every_analysis(compiled: dict[str, str]) -> None:
    assert sorted(compiled) == sorted(COLUMNS)
    assert all("{{" not in sql and '"marts".' in sql for sql in compiled.values())


@pytest.mark.slow
def test_race_winners_match_the_season_summary(compiled: dict[str, str], copy: duckdb.DuckDBPyConnection) -> None:
    rows = results(compiled, copy, "race_winners_by_season")
    races = scalar(copy, "select count(*) from marts.dim_meetings where race_session_key is not null")
    assert len(rows) == races
    wins: dict[tuple[object, object], int] = {}
    for row in rows:
        wins[row["season"], row["driver_code"]] = wins.get((row["season"], row["driver_code"]), 0) + 1
    summary = dict(
        ((season, code), won)
        for season, code, won in copy.execute(
            "select season, driver_code, wins from marts.driver_season_summary where wins > 0"
        ).fetchall()
    )
    assert wins == summary
    last_win = {(row["season"], row["driver_code"]): row["season_wins_so_far"] for row in rows}  # rows by round
    assert last_win == summary


@pytest.mark.slow
def test_championship_after_the_last_round_is_the_season_summary(
    compiled: dict[str, str], copy: duckdb.DuckDBPyConnection
) -> None:
    rows = results(compiled, copy, "championship_after_each_round")
    last = max(row["round"] for row in rows)
    final = {row["driver_code"]: (row["position"], row["points"]) for row in rows if row["round"] == last}
    summary = {
        code: (position, points)
        for code, position, points in copy.execute(
            "select driver_code, championship_position, points from marts.driver_season_summary"
        ).fetchall()
    }
    assert final == summary
    assert all(row["points_behind_leader"] == 0 for row in rows if row["position"] == 1)
    assert all(row["points_behind_leader"] >= 0 and row["meeting_name"] for row in rows)


@pytest.mark.slow
def test_pit_stops_per_team_count_race_stops(compiled: dict[str, str], copy: duckdb.DuckDBPyConnection) -> None:
    rows = results(compiled, copy, "pit_stops_per_team")
    stops = {(row["season"], row["team_name"]): row["race_pit_stops"] for row in rows}
    performance = dict(
        ((season, team), count)
        for season, team, count in copy.execute(
            "select season, team_name, race_pit_stops from marts.team_performance where race_pit_stops > 0"
        ).fetchall()
    )
    assert stops == performance
    assert all(
        0 < row["fastest_stationary_s"] <= row["median_stationary_s"] < row["median_lane_duration_s"] for row in rows
    )


@pytest.mark.slow
def test_soft_tyres_wear_fastest(compiled: dict[str, str], copy: duckdb.DuckDBPyConnection) -> None:
    rows = results(compiled, copy, "degradation_by_compound_and_circuit")
    assert {row["compound"] for row in rows} <= {"SOFT", "MEDIUM", "HARD", "INTERMEDIATE", "WET"}
    stints = scalar(
        copy,
        "select count(*) from marts.tyre_degradation where compound is not null and degradation_s_per_lap is not null"
        " and session_key in (select session_key from marts.fct_session_results where session_kind = 'race')",
    )
    assert sum(row["stints"] for row in rows) == stints
    by_compound: dict[str, list[float]] = {}
    for row in rows:
        by_compound.setdefault(row["compound"], []).append(row["median_degradation_s_per_lap"])
    mean = {compound: sum(values) / len(values) for compound, values in by_compound.items()}
    assert mean["SOFT"] > mean["MEDIUM"] > mean["HARD"]  # the simulator wears them in that order


@pytest.mark.slow
def test_undercuts_count_every_attempt(compiled: dict[str, str], copy: duckdb.DuckDBPyConnection) -> None:
    rows = results(compiled, copy, "undercut_success_by_team")
    attempts: dict[object, int] = {}
    for row in rows:
        attempts[row["attempt_kind"]] = attempts.get(row["attempt_kind"], 0) + row["attempts"]
        assert row["successes"] + row["failures"] + row["unknown_outcomes"] == row["attempts"]
    assert attempts == dict(copy.execute("select attempt_kind, count(*) from marts.undercuts group by all").fetchall())


@pytest.mark.slow
def test_teammate_battles_one_row_a_pair(compiled: dict[str, str], copy: duckdb.DuckDBPyConnection) -> None:
    rows = results(compiled, copy, "teammate_battles")
    assert len(rows) * 2 == scalar(copy, "select count(*) from marts.teammate_head_to_heads")
    for row in rows:
        assert row["races_ahead"] >= row["teammate_races_ahead"]
        assert row["races_ahead"] + row["teammate_races_ahead"] <= row["races_together"]
    # a pair's points in their shared races, from the race results themselves
    pair = max(rows, key=lambda row: (row["points"], row["driver_code"]))
    shared_points = scalar(
        copy,
        f"""
        select sum(driver.points)
        from marts.fct_session_results as driver
        inner join marts.fct_session_results as teammate
            on driver.session_key = teammate.session_key and driver.team_name = teammate.team_name
        where driver.session_kind = 'race' and driver.season = {pair["season"]}
            and driver.driver_code = '{pair["driver_code"]}' and teammate.driver_code = '{pair["teammate_driver_code"]}'
        """,
    )
    assert shared_points == pair["points"]


@pytest.mark.slow
def test_make_query_runs_an_analysis_as_dbt_compiles_it(
    published_sample: tuple[Path, Path, Path], compiled: dict[str, str], copy: duckdb.DuckDBPyConnection
) -> None:
    warehouse = published_sample[0].parent.parent / published_sample[0].name
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "WAREHOUSE")}
    for name in ("championship_after_each_round", "teammate_battles"):
        done = subprocess.run(
            ["make", "query", f"SQL_FILE=analyses/{name}.sql", "FORMAT=csv", f"WAREHOUSE={warehouse}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        expected = io.StringIO()
        cursor = copy.execute(compiled[name])
        writer = csv.writer(expected, lineterminator="\n")
        writer.writerow([column[0] for column in cursor.description])
        writer.writerows(["" if value is None else value for value in row] for row in cursor.fetchall())
        assert list(csv.reader(io.StringIO(done.stdout))) == list(csv.reader(io.StringIO(expected.getvalue())))
