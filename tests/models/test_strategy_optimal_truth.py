"""The strategy engine's optimal strategy against the simulator's truth (issue 18).

On the simulated sample (built by ``sample_build``), for every dry Grand Prix: the strategy the engine picks as
best when planning (``marts.strategy_optimal_strategies``, ``planning_mode = 'plan'``: not knowing the race's
SC/VSC periods), replayed through the simulator's own truth model
(``openf1_replay.simulator.strategy_truth.race_time_s``: no noise, every lap green, new tyres, the truth's
green pit loss per stop), is within ``TOLERANCE_S`` of the truly best strategy of the same search space
(``best_strategy``: exhaustive). The same search space: 1 to 3 stops, dry compounds with at least two distinct,
stints of at least the dbt var ``strategy_min_stint_laps`` laps, covering the race distance.

Wet rounds are skipped (the truth's ``season_events.wet_rounds`` and each race's ``wet_laps``): the truth model
of a dry strategy does not hold there. Races and rows are matched by the Grand Prix's ``session_key`` in the
truth file, and the row's ``season``, ``round_number`` and ``circuit_key`` must be the truth's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from openf1_replay.simulator.strategy_truth import (
    StrategyError,
    best_strategy,
    check_search_space,
    parse_strategy,
    race_time_s,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# make's SAMPLE_DIR (SAMPLE_SEASON, SAMPLE_ROUNDS, SAMPLE_SEED, SAMPLE_HZ): the sample the warehouse is loaded from
SAMPLE_TRUTH = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1.truth.json"
MART = "marts.strategy_optimal_strategies"
COLUMNS = ("session_key", "circuit_key", "season", "round_number", "planning_mode", "stops", "strategy")
COLUMNS += ("strategy_time_s", "is_best")
MAX_STOPS = 3  # the search space's 1 to 3 stops (common vocabulary of issue 18)
TOLERANCE_S = 2.0  # issue 18: within 2 s of the truly best strategy


def min_stint_laps() -> int:
    """The engine's own minimum stint length: dbt var ``strategy_min_stint_laps`` (one home for the figure)."""
    variables = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    if "strategy_min_stint_laps" not in variables:
        pytest.fail("dbt_project.yml has no var strategy_min_stint_laps: add it (the strategy search space's 5 laps)")
    return int(variables["strategy_min_stint_laps"])


def dry_grands_prix(truth: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(round, its Grand Prix session) for every round run dry: not cancelled, not a wet round, no wet lap."""
    wet_rounds = set(truth["season_events"]["wet_rounds"])
    races = []
    for round_ in truth["rounds"]:
        if round_["is_cancelled"] or round_["round"] in wet_rounds:
            continue
        race = next(s for s in round_["sessions"] if s["session_name"] == "Race")
        if not race["wet_laps"]:
            races.append((round_, race))
    return races


def engine_best_rows(connection: duckdb.DuckDBPyConnection) -> dict[int, list[dict[str, Any]]]:
    """The mart's best 'plan' rows by session_key (a list: more than one is an error the test reports)."""
    schema, table = MART.split(".")
    present = {
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }
    if not present:
        pytest.fail(
            f"{MART} is missing from the sample warehouse: build the strategy engine's mart "
            "(issue 18, models/marts/strategy/), then make transform"
        )
    missing = [c for c in COLUMNS if c not in present]
    if missing:
        pytest.fail(f"{MART} lacks column(s) {', '.join(missing)}: add them (the interface this test reads)")
    rows = connection.execute(
        f"select {', '.join(COLUMNS)} from {MART} where planning_mode = 'plan' and is_best "
        "order by session_key, strategy"
    ).fetchall()
    best: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        best.setdefault(int(record["session_key"]), []).append(record)
    return best


def compare(
    truth: dict[str, Any], best_rows: dict[int, list[dict[str, Any]]], min_stint: int
) -> tuple[list[str], list[str]]:
    """Per dry Grand Prix: the engine's best replayed through the truth model against the truth's best.

    Returns the report lines (one per race) and the failures (one line each)."""
    lines, failures = [], []
    for round_, race in dry_grands_prix(truth):
        number, key, laps = round_["round"], race["session_key"], round_["race_laps"]
        where = f"round {number} {round_['meeting_name']} (session {key})"
        truth_text, truth_time = best_strategy(truth, number, min_stint_laps=min_stint, max_stops=MAX_STOPS)
        rows = best_rows.get(key, [])
        if len(rows) != 1:
            failures.append(f"{where}: {len(rows)} best 'plan' rows in {MART}; want exactly one (is_best)")
            lines.append(f"{where}: engine -, truth best {truth_text} {truth_time:.3f} s")
            continue
        row = rows[0]
        identity = (row["season"], row["round_number"], row["circuit_key"])
        if identity != (truth["season"], number, round_["circuit_key"]):
            failures.append(
                f"{where}: the row says season, round, circuit {identity}; the truth says "
                f"{(truth['season'], number, round_['circuit_key'])}"
            )
        try:
            stints = parse_strategy(row["strategy"], laps)
            check_search_space(stints, laps, min_stint_laps=min_stint, max_stops=MAX_STOPS)
        except StrategyError as error:
            failures.append(f"{where}: the engine's best is outside the search space: {error}")
            lines.append(f"{where}: engine {row['strategy']} (invalid), truth best {truth_text} {truth_time:.3f} s")
            continue
        if row["stops"] != len(stints) - 1:
            failures.append(f"{where}: stops = {row['stops']} but {row['strategy']} has {len(stints) - 1}")
        replayed = race_time_s(truth, number, None, stints)
        gap = replayed - truth_time
        lines.append(
            f"{where}: engine best {row['strategy']} (strategy time {row['strategy_time_s']:.3f} s, truth replay "
            f"{replayed:.3f} s), truth best {truth_text} {truth_time:.3f} s, gap {gap:+.3f} s"
        )
        if gap > TOLERANCE_S:
            failures.append(
                f"{where}: the engine's best {row['strategy']} is {gap:.3f} s slower than the truly best "
                f"{truth_text} under the truth model (tolerance {TOLERANCE_S:g} s)"
            )
    return lines, failures


def test_engine_optimal_strategy_is_within_2_s_of_the_truly_best(sample_build: tuple[Path, Path]) -> None:
    warehouse, _ = sample_build
    truth = json.loads(SAMPLE_TRUTH.read_text())
    races = dry_grands_prix(truth)
    assert races, f"{SAMPLE_TRUTH.name} has no dry Grand Prix: the sample should have three"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        best_rows = engine_best_rows(connection)
    lines, failures = compare(truth, best_rows, min_stint_laps())
    print("\n".join(["", "engine (plan) vs truth, per dry Grand Prix:", *lines]))
    assert not failures, "\n".join(failures)
