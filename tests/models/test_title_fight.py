"""The title-fight marts (models/marts/championship): checked against an independent reading of the rules.

On the simulated sample: the points still available after each round are recomputed here from the seed
(seeds/points_systems.csv) and the calendar (dim_meetings), the standings columns are driver_standings' and
constructor_standings' own, and can_still_win, the decided round and the champion follow from the standings by
the rule as written in the model's documentation. On the real 2024 season: the same rule applied to the official
standings (truth-2024, f1db) by this test, with the 2024 regulations' maximums written out (Grand Prix 25 + the
fastest-lap point, sprint 8; a team 25 + 18 + 1 and 8 + 7), must give the mart's answer round by round.
"""

from __future__ import annotations

import csv
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.conftest import ROOT, real_snapshot

SEED = ROOT / "seeds" / "points_systems.csv"
# a team's cars, as the models read it (dbt_project.yml var constructor_scoring_cars)
CONSTRUCTOR_CARS = int(
    yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]["constructor_scoring_cars"]
)


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _can_still_win(
    gap: float, available: float, remaining_rounds: int, wins: int, leader_wins: int, position: int
) -> bool:
    """The documented rule: pass on points; level at best -> countback on wins (level on wins too: not ruled out);
    no rounds left -> the standings' leader only."""
    if gap < available:
        return True
    if gap > available:
        return False
    if remaining_rounds == 0:
        return position == 1
    return wins + remaining_rounds >= leader_wins


def _decided(rounds: dict[int, set[str]]) -> tuple[int | None, str | None]:
    """The first round after which only one contender can still win, and who."""
    for round_number in sorted(rounds):
        if len(rounds[round_number]) == 1:
            return round_number, next(iter(rounds[round_number]))
    return None, None


# ---- the simulated sample ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    warehouse, _ = sample_build
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


def _seed_maximums(season: int) -> dict[str, dict[str, float]]:
    """Per championship, the most one entry scores in a race (fastest-lap point included) and a sprint."""
    with open(SEED, newline="", encoding="utf-8") as handle:
        rules = [row for row in csv.DictReader(handle) if int(row["first_season"]) <= season <= int(row["last_season"])]
    bands: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    bonus = 0.0
    for row in rules:
        if row["session_kind"] == "fastest_lap":
            bonus = max(bonus, float(row["points"]))
        else:
            bands[(row["session_kind"], row["min_completed_distance_pct"])][int(row["finishing_position"])] = float(
                row["points"]
            )
    maximums = {}
    for championship, cars in (("drivers", 1), ("constructors", CONSTRUCTOR_CARS)):
        best = {
            kind: max(
                (
                    sum(p for place, p in places.items() if place <= cars)
                    for (k, _), places in bands.items()
                    if k == kind
                ),
                default=0.0,
            )
            for kind in ("race", "sprint")
        }
        maximums[championship] = {"race": best["race"] + bonus, "sprint": best["sprint"]}
    return maximums


@pytest.mark.slow
def test_points_still_available_follow_the_seed_and_the_calendar(sample: duckdb.DuckDBPyConnection) -> None:
    marts = _rows(sample, "select * from marts.championship_points_available order by season, championship, round")
    assert marts, "championship_points_available is empty: the sample has rounds"
    calendar = _rows(
        sample,
        "select season, round_number, sprint_session_key from marts.dim_meetings where round_number is not null",
    )
    assert len(marts) == 2 * len(calendar)
    classified = {row["session_key"] for row in _rows(sample, "select session_key from marts.fct_session_results")}
    for row in marts:
        maximum = _seed_maximums(row["season"])[row["championship"]]
        later = [m for m in calendar if m["season"] == row["season"] and m["round_number"] > row["round"]]
        expected = sum(maximum["race"] + (maximum["sprint"] if m["sprint_session_key"] else 0) for m in later)
        assert row["points_still_available"] == pytest.approx(expected), row
        assert row["remaining_rounds"] == len(later)
        assert row["remaining_sprints"] == sum(1 for m in later if m["sprint_session_key"])
        assert row["is_race_classified"] == (row["race_session_key"] in classified)
    last = max(marts, key=lambda row: row["round"])
    assert last["points_still_available"] == 0


@pytest.mark.slow
def test_title_fight_reads_the_standings_and_applies_the_rule(sample: duckdb.DuckDBPyConnection) -> None:
    fight = _rows(sample, "select * from marts.championship_title_fight")
    standings = {
        ("drivers", row["season"], row["round"], row["driver_id"]): row
        for row in _rows(sample, "select season, round, driver_id, points, wins, position from marts.driver_standings")
    } | {
        ("constructors", row["season"], row["round"], row["team_name"]): row
        for row in _rows(
            sample, "select season, round, team_name, points, wins, position from marts.constructor_standings"
        )
    }
    classified_rounds = {
        (row["season"], row["round"])
        for row in _rows(
            sample, "select season, round from marts.championship_points_available where is_race_classified"
        )
    }
    expected_keys = {key for key in standings if (key[1], key[2]) in classified_rounds}
    assert {(r["championship"], r["season"], r["round"], r["contender_id"]) for r in fight} == expected_keys
    groups: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in fight:
        source = standings[(row["championship"], row["season"], row["round"], row["contender_id"])]
        assert (row["points"], row["wins"], row["position"]) == (source["points"], source["wins"], source["position"])
        groups[(row["championship"], row["season"], row["round"])].append(row)
    for rows in groups.values():
        leader_points = max(row["points"] for row in rows)
        leader_wins = next(row["wins"] for row in rows if row["position"] == 1)
        for row in rows:
            gap = leader_points - row["points"]
            assert row["gap_to_leader_points"] == gap
            assert row["can_still_win"] == _can_still_win(
                gap, row["points_still_available"], row["remaining_rounds"], row["wins"], leader_wins, row["position"]
            ), row
            assert row["contenders_able_to_win"] == sum(1 for other in rows if other["can_still_win"])


@pytest.mark.slow
def test_decided_round_is_the_first_with_one_contender_left(sample: duckdb.DuckDBPyConnection) -> None:
    fight = _rows(
        sample, "select season, championship, round, contender_id, can_still_win from marts.championship_title_fight"
    )
    able: dict[tuple[int, str], dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in fight:
        contenders = able[(row["season"], row["championship"])].setdefault(row["round"], set())
        if row["can_still_win"]:
            contenders.add(row["contender_id"])
    deciders = _rows(sample, "select * from marts.championship_title_deciders")
    assert {(row["season"], row["championship"]) for row in deciders} == set(able)
    for row in deciders:
        decided_round, champion = _decided(able[(row["season"], row["championship"])])
        assert (row["decided_round"], row["champion_id"], row["is_decided"]) == (
            decided_round,
            champion,
            decided_round is not None,
        )


# ---- the real 2024 season ----------------------------------------------------------------------------------------
REGULATIONS_2024 = {  # FIA 2024 Sporting Regulations, the most one entry can score
    "drivers": {"race": 25 + 1, "sprint": 8},  # a win with the fastest lap; a sprint win
    "constructors": {"race": 25 + 18 + 1, "sprint": 8 + 7},  # a one-two with the fastest lap; a sprint one-two
}


def _truth(name: str) -> list[dict[str, str]]:
    with open(real_snapshot("truth-2024") / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _truth_title_fight() -> dict[str, dict[int, set[str]]]:
    """From the official standings: who could still win after each round (drivers by code, teams by position)."""
    results = _truth("results.csv")
    rounds = sorted({int(row["round"]) for row in results})
    sprint_rounds = {int(row["round"]) for row in results if row["kind"] == "sprint"}
    driver_wins: dict[tuple[int, str], int] = defaultdict(int)
    team_wins: dict[tuple[int, str], int] = defaultdict(int)
    for round_number in rounds:
        for row in results:
            if row["kind"] == "race" and row["position"] == "1" and int(row["round"]) <= round_number:
                driver_wins[(round_number, row["driver_code"])] += 1
                team_wins[(round_number, row["constructor_name"])] += 1
    able: dict[str, dict[int, set[str]]] = {"drivers": {}, "constructors": {}}
    for championship, file, name, wins in (
        ("drivers", "driver_standings.csv", "driver_code", driver_wins),
        ("constructors", "constructor_standings.csv", "constructor_name", team_wins),
    ):
        maximum = REGULATIONS_2024[championship]
        standings = _truth(file)
        for round_number in rounds:
            later = [r for r in rounds if r > round_number]
            available = sum(maximum["race"] + (maximum["sprint"] if r in sprint_rounds else 0) for r in later)
            table = [row for row in standings if int(row["round"]) == round_number]
            leader = min(table, key=lambda row: int(row["position"]))
            leader_points = max(float(row["points"]) for row in table)
            key = "driver_code" if championship == "drivers" else "position"
            able[championship][round_number] = {
                row[key]
                for row in table
                if _can_still_win(
                    leader_points - float(row["points"]),
                    available,
                    len(later),
                    wins[(round_number, row[name])],
                    wins[(round_number, leader[name])],
                    int(row["position"]),
                )
            }
    return able


@pytest.fixture(scope="module")
def real(real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> Iterator[duckdb.DuckDBPyConnection]:
    path, _, built = real_2024_build
    assert built.returncode == 0, built.stdout[-5000:] + built.stderr[-3000:]
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_who_could_still_win_matches_the_official_standings(real: duckdb.DuckDBPyConnection) -> None:
    truth = _truth_title_fight()
    for championship, key in (("drivers", "driver_code"), ("constructors", "position")):
        ours: dict[int, set[str]] = defaultdict(set)
        for row in _rows(
            real,
            f"select round, cast({key} as varchar) as contender from marts.championship_title_fight"
            " where season = 2024 and championship = ? and can_still_win",
            championship,
        ):
            ours[row["round"]].add(row["contender"])
        assert dict(ours) == truth[championship], championship


@pytest.mark.slow
@pytest.mark.real
def test_real_2024_titles_decided_where_the_official_standings_say(real: duckdb.DuckDBPyConnection) -> None:
    truth = _truth_title_fight()
    drivers_round, drivers_champion = _decided(truth["drivers"])
    constructors_round, constructors_position = _decided(truth["constructors"])
    final = [row for row in _truth("constructor_standings.csv") if int(row["round"]) == max(truth["constructors"])]
    assert constructors_position == "1"
    deciders = {
        row["championship"]: row
        for row in _rows(real, "select * from marts.championship_title_deciders where season = 2024")
    }
    assert deciders["drivers"]["decided_round"] == drivers_round
    assert deciders["drivers"]["champion_driver_code"] == drivers_champion
    assert deciders["constructors"]["decided_round"] == constructors_round
    champion_points = next(float(row["points"]) for row in final if row["position"] == "1")
    ours = _rows(
        real,
        "select points from marts.championship_title_fight where season = 2024 and championship = 'constructors'"
        " and round = ? and contender_id = ?",
        constructors_round,
        deciders["constructors"]["champion_id"],
    )
    assert [row["points"] for row in ours] == [champion_points]
    # the facts as reported at the time, derived above from the official standings: Verstappen champion at Las
    # Vegas (round 22), McLaren at Abu Dhabi (round 24, the last)
    assert (drivers_round, drivers_champion, constructors_round) == (22, "VER", 24)
