"""The telemetry marts (models/marts/telemetry) on the simulated sample, against their definitions and the
simulator's truth: the fastest lap picked, distance along the lap, its length against the circuit's, the map
closing on itself, the delta ending at the lap-time difference, mini-sectors covering the lap, and corners where
the simulated track has its slow apexes.

The checks are functions of a warehouse connection, so the same checks can be run against a deliberately broken
build; the tests run them on the sample build (tests/conftest.py ``sample_build``).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import yaml

from openf1_replay.simulator.rng import stream
from openf1_replay.simulator.track import build_track
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

TRUTH = ROOT / "warehouse" / "samples" / "season-2025-r4-s7-hz1.truth.json"
VARS = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
CORNER_MATCH_M = 60  # a found corner and the simulated apex it stands for lie this close along the lap
CORNER_SPEED_MARGIN_KPH = 20  # apexes this close to the threshold may fall either side of it (sampling at 1 Hz)
OUTLINE_MATCH_M = 25  # a sample's x/y lies this close to the simulated outline


def rows(connection: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def laps(connection: duckdb.DuckDBPyConnection) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """Every selected lap's samples in sample order."""
    grouped: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in rows(
        connection,
        "select * from marts.fct_fastest_lap_telemetry order by session_key, driver_number, sample_index",
    ):
        grouped.setdefault((row["session_key"], row["driver_number"]), []).append(row)
    return grouped


# ---- the checks --------------------------------------------------------------------------------------------------
def fastest_lap_problems(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The lap picked is each driver's least lap_duration_s among his laps with a start (fct_laps)."""
    expected = {
        (row["session_key"], row["driver_number"]): row["lap_number"]
        for row in rows(
            connection,
            """
            select session_key, driver_number,
                arg_min(lap_number, lap_duration_s * 1000000 + lap_number) as lap_number
            from marts.fct_laps
            where started_at is not null and completed_at is not null and lap_duration_s is not null
                and session_key in (select session_key from marts.fct_fastest_lap_telemetry)
            group by all
            """,
        )
    }
    picked = {
        (row["session_key"], row["driver_number"]): row["lap_number"]
        for row in rows(
            connection,
            "select distinct session_key, driver_number, lap_number from marts.fct_fastest_lap_telemetry",
        )
    }
    return [
        f"{key}: picked lap {picked.get(key)}, fastest {lap}" for key, lap in expected.items() if picked.get(key) != lap
    ]


def distance_problems(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Distance starts at 0 or more, never decreases, ends at most at the lap's distance; sample_index is 0..n-1."""
    problems = []
    for key, samples in laps(connection).items():
        distances = [s["distance_m"] for s in samples]
        if [s["sample_index"] for s in samples] != list(range(len(samples))):
            problems.append(f"{key}: sample_index is not 0..n-1")
        if distances[0] < 0 or any(b < a for a, b in itertools.pairwise(distances)):
            problems.append(f"{key}: distance decreases along the lap")
        if distances[-1] > samples[0]["lap_distance_m"] + 1e-6:
            problems.append(f"{key}: distance passes the lap's distance")
        times = [s["recorded_at"] for s in samples]
        if times != sorted(times):
            problems.append(f"{key}: samples are not in time order")
    return problems


def lap_length_problems(connection: duckdb.DuckDBPyConnection, tolerance: float) -> list[str]:
    """Each lap's distance within ``tolerance`` (a share) of its circuit's length in the seed."""
    problems = []
    for row in rows(
        connection,
        """
        select telemetry.session_key, telemetry.driver_number, telemetry.lap_distance_m, seed.lap_length_km
        from marts.fct_fastest_lap_telemetry as telemetry
        left join staging.circuit_lengths as seed on telemetry.circuit_short_name = seed.circuit_short_name
        where telemetry.sample_index = 0
        """,
    ):
        if row["lap_length_km"] is None:
            problems.append(f"{row['session_key']}: the circuit is not in seeds/circuit_lengths.csv")
            continue
        length_m = row["lap_length_km"] * 1000
        if abs(row["lap_distance_m"] - length_m) > tolerance * length_m:
            problems.append(
                f"{row['session_key']}/{row['driver_number']}: {row['lap_distance_m']:.0f} m vs {length_m:.0f}"
            )
    return problems


def map_closure_problems(connection: duckdb.DuckDBPyConnection, tolerance: float) -> list[str]:
    """The first and last x/y of each lap within ``tolerance`` of its distance of each other (x/y: decimetres)."""
    problems = []
    for key, samples in laps(connection).items():
        located = [s for s in samples if s["x_position"] is not None]
        if len(located) < len(samples):
            problems.append(f"{key}: samples without x/y")
            continue
        first, last = located[0], located[-1]
        gap_m = math.dist((first["x_position"], first["y_position"]), (last["x_position"], last["y_position"])) / 10
        if gap_m > tolerance * first["lap_distance_m"]:
            problems.append(f"{key}: the map's ends are {gap_m:.0f} m apart")
    return problems


def delta_problems(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Each pair's delta is 0 at the line and the lap-time difference at the end, on the same grid."""
    grid_points = VARS["telemetry_mini_sectors"] * VARS["telemetry_grid_points_per_mini_sector"]
    problems = []
    for row in rows(
        connection,
        """
        select deltas.session_key, deltas.reference_driver_number, deltas.compared_driver_number,
            count(*) as points, min(deltas.grid_index) as first_index, max(deltas.grid_index) as last_index,
            any_value(deltas.delta_s) filter (where deltas.grid_index = 0) as first_delta_s,
            arg_max(deltas.delta_s, deltas.grid_index) as last_delta_s,
            any_value(reference_laps.lap_duration_s) as reference_lap_s,
            any_value(compared_laps.lap_duration_s) as compared_lap_s
        from marts.telemetry_lap_deltas as deltas
        inner join (select distinct session_key, driver_number, lap_duration_s from marts.fct_fastest_lap_telemetry)
            as reference_laps
            on deltas.session_key = reference_laps.session_key
            and deltas.reference_driver_number = reference_laps.driver_number
        inner join (select distinct session_key, driver_number, lap_duration_s from marts.fct_fastest_lap_telemetry)
            as compared_laps
            on deltas.session_key = compared_laps.session_key
            and deltas.compared_driver_number = compared_laps.driver_number
        group by all
        """,
    ):
        key = (row["session_key"], row["reference_driver_number"], row["compared_driver_number"])
        if (row["points"], row["first_index"], row["last_index"]) != (grid_points + 1, 0, grid_points):
            problems.append(f"{key}: the grid is not 0..{grid_points}")
        if abs(row["first_delta_s"]) > 1e-9:
            problems.append(f"{key}: delta at the line is {row['first_delta_s']}")
        if abs(row["last_delta_s"] - (row["compared_lap_s"] - row["reference_lap_s"])) > 1e-6:
            difference = row["compared_lap_s"] - row["reference_lap_s"]
            problems.append(f"{key}: delta ends at {row['last_delta_s']}, laps differ by {difference}")
    return problems


def dominance_problems(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Each pair's mini-sectors are 1..N, contiguous from 0 to the session's length, sum to each lap time, and
    the faster driver is the one with the smaller time; the won counts add up to N."""
    mini_sectors = VARS["telemetry_mini_sectors"]
    problems = []
    pairs: dict[tuple[int, int, int], list[dict[str, Any]]] = {}
    for row in rows(
        connection,
        """
        select * from marts.telemetry_lap_comparisons
        order by session_key, reference_driver_number, compared_driver_number, mini_sector_number
        """,
    ):
        pairs.setdefault(
            (row["session_key"], row["reference_driver_number"], row["compared_driver_number"]), []
        ).append(row)
    lengths = {
        row["session_key"]: row["length_m"]
        for row in rows(
            connection,
            "select session_key, max(distance_m) as length_m from marts.fct_fastest_lap_distance_grid group by all",
        )
    }
    for key, sectors in pairs.items():
        if [s["mini_sector_number"] for s in sectors] != list(range(1, mini_sectors + 1)):
            problems.append(f"{key}: mini-sectors are not 1..{mini_sectors}")
            continue
        edges_meet = all(
            abs(a["end_distance_m"] - b["start_distance_m"]) < 1e-6 for a, b in itertools.pairwise(sectors)
        )
        if abs(sectors[0]["start_distance_m"]) > 1e-6 or not edges_meet:
            problems.append(f"{key}: mini-sectors leave gaps")
        if abs(sectors[-1]["end_distance_m"] - lengths[key[0]]) > 1e-6:
            problems.append(f"{key}: the last mini-sector ends before the lap does")
        for side in ("reference", "compared"):
            total = sum(s[f"{side}_time_s"] for s in sectors)
            if abs(total - sectors[0][f"{side}_lap_duration_s"]) > 1e-6:
                problems.append(f"{key}: {side} mini-sectors sum to {total}, not the lap time")
        for s in sectors:
            faster = key[2] if s["compared_time_s"] < s["reference_time_s"] else key[1]
            if s["faster_driver_number"] != faster:
                problems.append(f"{key}: mini-sector {s['mini_sector_number']} names the slower driver")
        if sectors[0]["reference_mini_sectors_won"] + sectors[0]["compared_mini_sectors_won"] != mini_sectors:
            problems.append(f"{key}: won counts do not add up to {mini_sectors}")
    return problems


def pair_problems(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Pairs: the three fastest laps with each other and every pair of teammates, the faster lap the reference."""
    laps_by_session: dict[int, list[dict[str, Any]]] = {}
    for row in rows(
        connection,
        """
        select distinct session_key, driver_number, team_name, session_lap_rank
        from marts.fct_fastest_lap_telemetry order by session_key, session_lap_rank
        """,
    ):
        laps_by_session.setdefault(row["session_key"], []).append(row)
    expected = set()
    for session_key, session_laps in laps_by_session.items():
        for index, faster in enumerate(session_laps):
            for slower in session_laps[index + 1 :]:
                if slower["session_lap_rank"] <= 3 or faster["team_name"] == slower["team_name"]:
                    expected.add((session_key, faster["driver_number"], slower["driver_number"]))
    found = {
        (r["session_key"], r["reference_driver_number"], r["compared_driver_number"])
        for r in rows(
            connection,
            "select distinct session_key, reference_driver_number, compared_driver_number"
            " from marts.telemetry_lap_comparisons",
        )
    }
    return [f"missing pair {pair}" for pair in expected - found] + [f"extra pair {pair}" for pair in found - expected]


# ---- the tests ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def marts(sample_build: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample_build[0]), read_only=True) as connection:
        yield connection


def test_the_sample_has_telemetry_for_its_races(marts: duckdb.DuckDBPyConnection) -> None:
    sessions = rows(
        marts,
        """
        select session_kind, count(distinct session_key) as sessions, count(distinct driver_number) as drivers,
            min(distance_source) as lowest_source, max(distance_source) as highest_source
        from marts.fct_fastest_lap_telemetry group by all
        """,
    )
    kinds = {row["session_kind"] for row in sessions}
    assert kinds == {"race", "sprint"}, sessions  # the sample's telemetry scope
    assert all(row["lowest_source"] == row["highest_source"] == "speed" for row in sessions), sessions


@pytest.mark.parametrize(
    "check",
    [fastest_lap_problems, distance_problems, delta_problems, dominance_problems, pair_problems],
    ids=lambda check: check.__name__.removesuffix("_problems"),
)
def test_telemetry_mart_definitions(marts: duckdb.DuckDBPyConnection, check: Any) -> None:
    assert check(marts) == []


def test_laps_end_at_the_circuit_length(marts: duckdb.DuckDBPyConnection) -> None:
    assert lap_length_problems(marts, VARS["telemetry_lap_length_tolerance"]) == []


def test_maps_close_on_themselves(marts: duckdb.DuckDBPyConnection) -> None:
    assert map_closure_problems(marts, VARS["telemetry_map_closure_tolerance"]) == []


def _truth() -> dict[str, Any]:
    if not TRUTH.is_file():
        pytest.skip(f"no simulator truth at {TRUTH}: make sample writes it")
    return json.loads(TRUTH.read_text())


def test_distance_matches_the_simulated_track(marts: duckdb.DuckDBPyConnection) -> None:
    """The seed's lengths are the simulator's, and each integrated lap is within 1 % of the simulated track."""
    truth = _truth()
    seed = {
        row["circuit_short_name"]: row["lap_length_km"]
        for row in rows(marts, "select circuit_short_name, lap_length_km from staging.circuit_lengths")
    }
    by_meeting = {r["meeting_key"]: r for r in truth["rounds"] if not r["is_cancelled"]}
    checked = 0
    for row in rows(
        marts,
        "select meeting_key, session_key, driver_number, lap_distance_m from marts.fct_fastest_lap_telemetry"
        " where sample_index = 0",
    ):
        simulated = by_meeting[row["meeting_key"]]
        assert seed[simulated["circuit_short_name"]] == simulated["length_km"]
        assert abs(row["lap_distance_m"] / (simulated["length_km"] * 1000) - 1) < 0.01, row
        checked += 1
    assert checked


def _near(a: float, b: float, length_m: float) -> bool:
    """Two distances along a closed lap of ``length_m`` within CORNER_MATCH_M of each other (across the line too)."""
    return min(abs(a - b), length_m - abs(a - b)) <= CORNER_MATCH_M


def test_maps_lie_on_the_simulated_track(marts: duckdb.DuckDBPyConnection) -> None:
    """Every sample's x/y (interpolated in time from the location stream) lies on the simulated outline: within
    OUTLINE_MATCH_M of it."""
    truth = _truth()
    by_meeting = {r["meeting_key"]: r for r in truth["rounds"]}
    samples = rows(marts, "select meeting_key, x_position, y_position from marts.fct_fastest_lap_telemetry")
    assert samples
    for meeting_key in {row["meeting_key"] for row in samples}:
        simulated = by_meeting[meeting_key]
        track = build_track(
            stream(truth["arguments"]["seed"], "track", simulated["circuit_key"]), simulated["length_km"]
        )
        outline = np.column_stack([track.x, track.y])
        points = np.array([(r["x_position"], r["y_position"]) for r in samples if r["meeting_key"] == meeting_key])
        nearest_dm = np.sqrt(((points[:, None, :] - outline[None, ::4, :]) ** 2).sum(axis=2)).min(axis=1)
        assert nearest_dm.max() / 10 < OUTLINE_MATCH_M, (simulated["meeting_name"], nearest_dm.max() / 10)


def test_corners_are_the_simulated_slow_apexes(marts: duckdb.DuckDBPyConnection) -> None:
    """Every apex of the simulated track clearly slower than the threshold is found within CORNER_MATCH_M, and
    every corner found stands for an apex (the track rebuilt by the simulator from the sample's seed)."""
    truth = _truth()
    threshold = VARS["telemetry_corner_max_speed_kph"]
    found: dict[tuple[int, int], list[float]] = {}
    for row in rows(
        marts,
        "select meeting_key, session_key, distance_m from marts.circuit_corners"
        " order by meeting_key, session_key, corner_number",
    ):
        found.setdefault((row["meeting_key"], row["session_key"]), []).append(row["distance_m"])
    assert found
    by_meeting = {r["meeting_key"]: r for r in truth["rounds"]}
    for (meeting_key, session_key), corners in found.items():
        simulated = by_meeting[meeting_key]
        track = build_track(
            stream(truth["arguments"]["seed"], "track", simulated["circuit_key"]), simulated["length_km"]
        )
        apex_speeds = track.speed[np.searchsorted(track.s, track.corners_m)] * 3.6
        length_m = track.length_m
        for apex, speed in zip(track.corners_m, apex_speeds, strict=True):
            if speed < threshold - CORNER_SPEED_MARGIN_KPH:
                assert any(_near(apex, c, length_m) for c in corners), (simulated["meeting_name"], apex, speed, corners)
        for corner in corners:
            assert any(_near(apex, corner, length_m) for apex in track.corners_m), (simulated["meeting_name"], corner)
        for apex in track.corners_m:  # one corner an apex: not twice across the line
            assert sum(_near(apex, corner, length_m) for corner in corners) <= 1, (simulated["meeting_name"], apex)
        numbers = rows(
            marts,
            "select corner_number from marts.circuit_corners where session_key = ? order by distance_m",
            session_key,
        )
        assert [r["corner_number"] for r in numbers] == list(range(1, len(corners) + 1))
