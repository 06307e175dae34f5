"""Undercut chance (issue 18, item 4): marts.undercut_success_rates and marts.fct_undercut_chances.

On the simulated sample (``sample_build``) and on the real 2024 season (``real_2024_build``, skipped when
../shared/openf1-real is absent):

- the observed rates equal a count of marts.undercuts made here, with this test's own SQL and bucketing (the
  bucket edges read from dbt_project.yml's vars);
- no chance row lies outside the pit-loss range, and each pairs a car with the car one position ahead;
- the modelled chance is the logistic of the margin over its spread and rises with the margin;
- the chance is roughly calibrated against the undercuts really tried: over the green-flag attempts onto dry
  tyres (the situation the model describes) its mean is near the observed success rate and it scores better
  than that constant rate (Brier score). The calibration per gap bucket is printed (run with -s).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LOGISTIC_SCALE = 1.702  # the model's logistic approximation of the normal distribution function
MAX_MEAN_CHANCE_ERROR = 0.15  # calibrated roughly: |mean chance - observed success rate| over the attempts
UNKNOWN = "unknown"

pytestmark = pytest.mark.slow

BUILDS = [
    pytest.param("sample_build", id="sample"),
    pytest.param("real_2024_build", id="real-2024", marks=pytest.mark.real),
]


@pytest.fixture(params=BUILDS)
def warehouse(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build's warehouse, read-only, with both undercut marts built."""
    path = request.getfixturevalue(request.param)[0]
    with duckdb.connect(str(path), read_only=True) as connection:
        built = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        missing = {"undercut_success_rates", "fct_undercut_chances"} - built
        if missing:
            pytest.fail(f"{request.param} has no marts.{', marts.'.join(sorted(missing))}: its dbt build failed there")
        yield connection


def rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def bucket_edges() -> tuple[list[float], list[int]]:
    """The gap and tyre-age difference bucket edges, from dbt_project.yml's vars."""
    variables = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    return variables["undercut_gap_bucket_edges_s"], variables["undercut_tyre_age_difference_bucket_edges_laps"]


def bucket_order(value: float | None, edges: list) -> int:
    """1 for values below the first edge, one more per edge reached (lower edges inclusive); unknown last."""
    return len(edges) + 2 if value is None else bisect.bisect_right(edges, value) + 1


def test_observed_rates_equal_a_count_of_the_undercuts(warehouse: duckdb.DuckDBPyConnection) -> None:
    gap_edges, age_edges = bucket_edges()
    attempts = rows(
        warehouse,
        """
        select
            sessions.circuit_key,
            sessions.season,
            attacker.gap_to_leader_s - target.gap_to_leader_s as gap_s,
            target.tyre_age_laps - attacker.tyre_age_laps as tyre_age_difference_laps,
            undercuts.outcome = 'success' as is_success
        from marts.undercuts as undercuts
        inner join marts.dim_sessions as sessions using (session_key)
        left join marts.fct_laps as attacker
            on attacker.session_key = undercuts.session_key
            and attacker.driver_number = undercuts.attacking_driver_number
            and attacker.lap_number = undercuts.attacking_stop_lap - 1
        left join marts.fct_laps as target
            on target.session_key = undercuts.session_key
            and target.driver_number = undercuts.target_driver_number
            and target.lap_number = undercuts.attacking_stop_lap - 1
        where undercuts.attempt_kind = 'undercut' and undercuts.outcome in ('success', 'failure')
        """,
    )
    assert attempts, "no green-flag undercut attempt with a known outcome: nothing to count"
    counted: Counter = Counter()
    for attempt in attempts:
        buckets = (
            bucket_order(attempt["gap_s"], gap_edges),
            bucket_order(attempt["tyre_age_difference_laps"], age_edges),
        )
        for scope in (("circuit", attempt["circuit_key"], attempt["season"]), ("all", None, None)):
            counted[(*scope, *buckets, "attempts")] += 1
            counted[(*scope, *buckets, "successes")] += attempt["is_success"]

    modelled = rows(warehouse, "select * from marts.undercut_success_rates")
    found: Counter = Counter()
    for row in modelled:
        key = (
            row["circuit_scope"],
            row["circuit_key"],
            row["season"],
            row["gap_bucket_order"],
            row["tyre_age_difference_bucket_order"],
        )
        found[(*key, "attempts")] = row["attempts"]
        found[(*key, "successes")] = row["successes"]
        expected_rate = row["successes"] / row["attempts"] if row["attempts"] else None
        assert row["success_rate"] == pytest.approx(expected_rate), f"success_rate is not successes / attempts: {row}"
        if row["circuit_scope"] == "circuit":
            assert row["attempts"] > 0, f"a circuit row without attempts: {row}"
    assert +found == +counted, "observed undercut rates differ from the count of marts.undercuts"

    grid = {
        (row["gap_bucket_order"], row["tyre_age_difference_bucket_order"])
        for row in modelled
        if row["circuit_scope"] == "all"
    }
    assert len(grid) == (len(gap_edges) + 2) * (len(age_edges) + 2), "the 'all' rows do not cover every bucket pair"
    for row in modelled:
        order = row["gap_bucket_order"]
        if row["gap_bucket"] == UNKNOWN:
            assert order == len(gap_edges) + 2, row
        else:
            assert row["gap_from_s"] == (gap_edges[order - 2] if order > 1 else None), row
            assert row["gap_to_s"] == (gap_edges[order - 1] if order <= len(gap_edges) else None), row


def test_chances_pair_cars_within_the_pit_loss_on_green_laps(warehouse: duckdb.DuckDBPyConnection) -> None:
    chances = rows(
        warehouse,
        """
        select
            chances.*,
            ahead.driver_number as car_ahead,
            pit_losses.median_pit_loss_s as green_pit_loss_s,
            attacker.track_status,
            ahead.track_status as ahead_track_status,
            attacker.is_pit_in_lap or attacker.is_pit_out_lap as attacker_stops,
            ahead.is_pit_in_lap as ahead_stops,
            sqrt(ahead_tyres.residual_sd_s ^ 2 + new_tyres.residual_sd_s ^ 2) as two_lap_spread_s
        from marts.fct_undercut_chances as chances
        inner join marts.fct_laps as attacker
            on attacker.session_key = chances.session_key
            and attacker.lap_number = chances.lap_number
            and attacker.driver_number = chances.driver_number
        left join marts.fct_laps as ahead
            on ahead.session_key = chances.session_key
            and ahead.lap_number = chances.lap_number
            and ahead.driver_number = chances.ahead_driver_number
            and ahead.position_at_lap_end = attacker.position_at_lap_end - 1
        left join marts.pit_loss_by_track_status as pit_losses
            on pit_losses.circuit_key = chances.circuit_key
            and pit_losses.season = chances.pit_loss_season
            and pit_losses.track_status = 'green'
        left join marts.strategy_tyre_models as ahead_tyres
            on ahead_tyres.session_key = chances.session_key
            and ahead_tyres.compound = chances.ahead_compound
        left join marts.strategy_tyre_models as new_tyres
            on new_tyres.session_key = chances.session_key
            and new_tyres.compound = chances.next_compound
        """,
    )
    assert chances, "fct_undercut_chances is empty"
    outside = [row for row in chances if not row["gap_s"] < row["pit_loss_s"]]
    assert not outside, f"{len(outside)} rows outside the pit-loss range, e.g. {outside[0]}"
    for row in chances:
        assert row["pit_loss_s"] == row["green_pit_loss_s"], f"pit_loss_s is not the circuit's green median: {row}"
        assert row["pit_loss_season"] <= row["season"], f"a pit loss from a later season: {row}"
        assert row["car_ahead"] is not None, f"the target is not one position ahead: {row}"
        assert {row["track_status"], row["ahead_track_status"]} <= {"green", "yellow"}, f"a neutralised lap: {row}"
        assert not row["attacker_stops"] and not row["ahead_stops"], f"a car already in or out of the pits: {row}"
        if row["two_lap_spread_s"] is not None:
            assert row["margin_spread_s"] == pytest.approx(row["two_lap_spread_s"]), f"not the two laps' spread: {row}"


def test_chance_is_the_logistic_of_the_margin_and_rises_with_it(warehouse: duckdb.DuckDBPyConnection) -> None:
    chances = rows(
        warehouse,
        """
        select
            session_key, lap_number, driver_number, ahead_compound, next_compound, gap_s, out_lap_modelled_s,
            ahead_in_lap_modelled_s, modelled_gain_s, margin_s, margin_spread_s, margin_z, undercut_chance
        from marts.fct_undercut_chances
        where undercut_chance is not null
        """,
    )
    assert chances, "no modelled chance at all"
    for row in chances:
        assert row["modelled_gain_s"] == pytest.approx(row["ahead_in_lap_modelled_s"] - row["out_lap_modelled_s"])
        assert row["margin_s"] == pytest.approx(row["modelled_gain_s"] - row["gap_s"]), row
        assert row["margin_z"] == pytest.approx(row["margin_s"] / row["margin_spread_s"]), row
        z = max(-20.0, min(20.0, row["margin_z"]))
        assert row["undercut_chance"] == pytest.approx(1 / (1 + math.exp(-LOGISTIC_SCALE * z)), abs=1e-12), row
        assert (row["undercut_chance"] > 0.5) == (row["margin_s"] > 0), row
    # one race and compound pair share a spread: there the chance must rise with the margin
    groups: dict[tuple, list[dict]] = {}
    for row in chances:
        groups.setdefault((row["session_key"], row["ahead_compound"], row["next_compound"]), []).append(row)
    compared = 0
    for group in groups.values():
        ordered = sorted(group, key=lambda row: (row["margin_s"], row["lap_number"], row["driver_number"]))
        for lower, higher in itertools.pairwise(ordered):
            compared += 1
            assert higher["undercut_chance"] >= lower["undercut_chance"], (
                f"chance falls as margin rises: {lower} {higher}"
            )
    assert compared > 0


def test_chance_is_roughly_calibrated_on_the_undercuts_tried(
    warehouse: duckdb.DuckDBPyConnection, request: pytest.FixtureRequest
) -> None:
    # the attempts the model describes: green flag, onto dry tyres, from a chance row on the lap before the stop
    tried = rows(
        warehouse,
        """
        select
            chances.gap_bucket,
            chances.gap_s,
            chances.undercut_chance,
            chances.observed_success_rate,
            cast(undercuts.outcome = 'success' as integer) as is_success
        from marts.undercuts as undercuts
        inner join marts.fct_pit_stops as stops
            on stops.session_key = undercuts.session_key
            and stops.driver_number = undercuts.attacking_driver_number
            and stops.stop_number = undercuts.attacking_stop_number
        inner join marts.fct_undercut_chances as chances
            on chances.session_key = undercuts.session_key
            and chances.driver_number = undercuts.attacking_driver_number
            and chances.lap_number = undercuts.attacking_stop_lap - 1
            and chances.ahead_driver_number = undercuts.target_driver_number
        where
            undercuts.attempt_kind = 'undercut'
            and undercuts.outcome in ('success', 'failure')
            and stops.compound_after in ('SOFT', 'MEDIUM', 'HARD')
            and chances.undercut_chance is not null
        """,
    )
    every_row = rows(
        warehouse,
        """
        select
            gap_bucket,
            min(gap_s) as from_s,
            count(*) as pairs,
            avg(undercut_chance) as mean_chance,
            avg(observed_success_rate) as observed_rate
        from marts.fct_undercut_chances
        group by gap_bucket
        """,
    )
    assert len(tried) >= 5, f"only {len(tried)} green-flag dry undercut attempts have a chance row: too few to judge"
    print(
        f"\nundercut chance calibration ({request.node.callspec.id}), by gap to the car ahead: the green-flag "
        "attempts onto dry tyres | every pair in range, with its bucket pair's observed rate (mean over pairs)"
    )
    print(
        f"{'gap':>8} {'attempts':>9} {'mean chance':>12} {'success rate':>13} | "
        f"{'pairs':>7} {'mean chance':>12} {'bucket rate':>12}"
    )
    by_bucket: dict[str, list[dict]] = {}
    for row in tried:
        by_bucket.setdefault(row["gap_bucket"], []).append(row)
    all_pairs = {row["gap_bucket"]: row for row in every_row}
    for bucket in sorted(all_pairs, key=lambda name: all_pairs[name]["from_s"]):
        attempts = by_bucket.get(bucket, [])
        mean_chance = sum(row["undercut_chance"] for row in attempts) / len(attempts) if attempts else math.nan
        rate = sum(row["is_success"] for row in attempts) / len(attempts) if attempts else math.nan
        pairs = all_pairs[bucket]
        bucket_rate = math.nan if pairs["observed_rate"] is None else pairs["observed_rate"]
        print(
            f"{bucket:>8} {len(attempts):>9} {mean_chance:>12.3f} {rate:>13.3f} | "
            f"{pairs['pairs']:>7} {pairs['mean_chance']:>12.3f} {bucket_rate:>12.3f}"
        )
    mean_chance = sum(row["undercut_chance"] for row in tried) / len(tried)
    rate = sum(row["is_success"] for row in tried) / len(tried)
    brier = sum((row["undercut_chance"] - row["is_success"]) ** 2 for row in tried) / len(tried)
    constant_brier = rate * (1 - rate)
    print(
        f"{'all':>8} {len(tried):>9} {mean_chance:>12.3f} {rate:>13.3f} | "
        f"Brier score {brier:.3f} (the constant rate's {constant_brier:.3f})"
    )
    assert abs(mean_chance - rate) <= MAX_MEAN_CHANCE_ERROR, (
        f"mean modelled chance {mean_chance:.3f} is not near the observed success rate {rate:.3f}"
    )
    assert brier < constant_brier, (
        f"the modelled chance (Brier {brier:.3f}) tells less than the rate ({constant_brier:.3f})"
    )
