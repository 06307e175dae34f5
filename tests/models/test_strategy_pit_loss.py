"""Pit loss as strategists mean it (marts.pit_loss_by_track_status, from fct_pit_losses) against known figures.

(a) On the simulated sample, the green median per circuit is within 10 % of the simulator's hidden truth
    (rounds[].pit_loss_s of the truth file: the green-flag time a stop costs, cold out-lap tyres included).
(b) On the sample and on real 2024, a circuit's VSC and SC medians are below its green median.
(c) On real 2024, each circuit's green median lies in TUM's published band made like for like (below).

Run with -s to see the per-circuit figures.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from bench.strategy import TUM_BAND_S, TUM_LANE_LOSS_S
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SAMPLE_TRUTH = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1.truth.json"
TRUTH_TOLERANCE = 0.10

# TUM's band made like for like (the figures and their sources: bench/strategy.py, which make bench-strategy prints)
# Circuits allowed outside it, each with the figure measured on real 2024 and why it is accepted: the list must be
# exactly the circuits outside, so a new one fails and so does one that comes back inside.
KNOWN_OUTSIDE_TUM_BAND: dict[str, str] = {
    "Singapore": "29.6-29.7 s over 22 green stops (IQR 28.9-30.6 s), 0.8 s above the band's top: the in-lap costs "
    "8.0 s and the out-lap 21.5 s against TUM 2019's 7.3 s and 20.6-21.6 s (standstill and cold tyres added); "
    "the same method is within 1.5 % of the simulator's truth. Measured, not explained: TUM's figure is 2019's.",
}

GREEN_BY_CIRCUIT = """
    select circuit_key, circuit_short_name, season, stops, median_pit_loss_s, p25_pit_loss_s, p75_pit_loss_s
    from marts.pit_loss_by_track_status
    where track_status = 'green'
    order by circuit_key, season
"""

NEUTRALISED_VS_GREEN = """
    select
        neutralised.circuit_short_name,
        neutralised.season,
        neutralised.track_status,
        neutralised.stops,
        neutralised.median_pit_loss_s,
        green.median_pit_loss_s as green_median_pit_loss_s
    from marts.pit_loss_by_track_status as neutralised
    inner join marts.pit_loss_by_track_status as green
        on
            neutralised.circuit_key = green.circuit_key
            and neutralised.season = green.season
            and green.track_status = 'green'
    where
        neutralised.track_status in ('vsc', 'sc')
        and neutralised.median_pit_loss_s is not null
        and green.median_pit_loss_s is not null
    order by neutralised.circuit_short_name, neutralised.season, neutralised.track_status
"""


def green_against_truth(connection: duckdb.DuckDBPyConnection, truth: dict) -> list[str]:
    """Print each circuit's green median beside the truth; return the circuits off by more than the tolerance."""
    measured = {row[0]: row for row in connection.sql(GREEN_BY_CIRCUIT).fetchall()}
    misses = []
    print(f"\n{'circuit':<20}{'stops':>6}{'median':>9}{'truth':>8}{'error':>8}")
    for sample_round in truth["rounds"]:
        if sample_round["is_cancelled"]:
            continue
        key, name = sample_round["circuit_key"], sample_round["circuit_short_name"]
        expected = sample_round["pit_loss_s"]
        row = measured.get(key)
        median = row[4] if row else None
        if median is None:
            print(f"{name:<20}{'-':>6}{'-':>9}{expected:>8.2f}")
            misses.append(f"{name}: no green median (expected {expected:.2f} s)")
            continue
        error = (median - expected) / expected
        print(f"{name:<20}{row[3]:>6}{median:>9.2f}{expected:>8.2f}{error:>+8.1%}")
        if abs(error) > TRUTH_TOLERANCE:
            misses.append(f"{name}: green median {median:.2f} s vs truth {expected:.2f} s ({error:+.1%})")
    return misses


def neutralised_not_below_green(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Print each circuit's VSC and SC medians beside its green one; return those not below green."""
    rows = connection.sql(NEUTRALISED_VS_GREEN).fetchall()
    print(f"\n{'circuit':<20}{'season':>7}{'status':>7}{'stops':>6}{'median':>9}{'green':>8}{'ratio':>7}")
    for name, season, status, stops, median, green in rows:
        print(f"{name:<20}{season:>7}{status:>7}{stops:>6}{median:>9.2f}{green:>8.2f}{median / green:>7.2f}")
    return [
        f"{name} {season} {status}: median {median:.2f} s not below green {green:.2f} s"
        for name, season, status, _, median, green in rows
        if median >= green
    ]


def green_outside_tum_band(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Print each circuit's green median against TUM's band; return those outside it and not listed."""
    low, high = TUM_BAND_S
    outside = []
    print(f"\nTUM band like for like: {low:.1f}-{high:.1f} s (lane loss {TUM_LANE_LOSS_S[0]}-{TUM_LANE_LOSS_S[1]} s)")
    print(f"{'circuit':<20}{'stops':>6}{'median':>9}{'p25':>8}{'p75':>8}")
    for _, name, _, stops, median, p25, p75 in connection.sql(GREEN_BY_CIRCUIT).fetchall():
        if median is None:
            print(f"{name:<20}{stops:>6}{'-':>9}   no green stop with a pit loss")
            continue
        flag = "" if low <= median <= high else "  outside"
        print(f"{name:<20}{stops:>6}{median:>9.2f}{p25:>8.2f}{p75:>8.2f}{flag}")
        if flag:
            outside.append(name)
    return outside


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> duckdb.DuckDBPyConnection:
    warehouse, _ = sample_build
    return duckdb.connect(str(warehouse), read_only=True)


@pytest.fixture(scope="module")
def real(real_2024_build: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> duckdb.DuckDBPyConnection:
    warehouse, _, built = real_2024_build
    assert built.returncode == 0, built.stdout[-5000:] + built.stderr[-3000:]
    return duckdb.connect(str(warehouse), read_only=True)


def test_sample_green_pit_loss_matches_the_simulator_truth(sample: duckdb.DuckDBPyConnection) -> None:
    if not SAMPLE_TRUTH.is_file():
        pytest.skip(f"no simulator truth at {SAMPLE_TRUTH} (make sample writes it)")
    truth = json.loads(SAMPLE_TRUTH.read_text(encoding="utf-8"))
    misses = green_against_truth(sample, truth)
    assert not misses, "green pit loss off the simulator's truth by more than 10 %: " + "; ".join(misses)


def test_sample_neutralised_pit_loss_is_below_green(sample: duckdb.DuckDBPyConnection) -> None:
    assert sample.sql(NEUTRALISED_VS_GREEN).fetchall(), "the sample has no VSC or SC stop beside a green one"
    failures = neutralised_not_below_green(sample)
    assert not failures, "a VSC or SC stop costs no less than a green one: " + "; ".join(failures)


@pytest.mark.real
def test_real_2024_neutralised_pit_loss_is_below_green(real: duckdb.DuckDBPyConnection) -> None:
    failures = neutralised_not_below_green(real)
    assert not failures, "a VSC or SC stop costs no less than a green one: " + "; ".join(failures)


@pytest.mark.real
def test_real_2024_green_pit_loss_inside_the_tum_band(real: duckdb.DuckDBPyConnection) -> None:
    outside = green_outside_tum_band(real)
    assert sorted(outside) == sorted(KNOWN_OUTSIDE_TUM_BAND), (
        f"circuits outside TUM's band: {outside}, known: {sorted(KNOWN_OUTSIDE_TUM_BAND)} (check a new one's in-lap "
        "and out-lap references in fct_pit_losses before listing it with its measured reason)"
    )
