"""The live board's marts (models/marts/live/) against figures computed here from the raw tables.

Two states of the simulated sample: the finished season (``sample_build``: every session, intervals present) and
a mid-race cut of the first race (session 10305 during its safety car): a copy of the sample warehouse whose raw
rows of that session stop at the cut (laps filled in only as far as they had run, stints clipped, no intervals as
OpenF1 serves none live, no result), rebuilt by the two selectors the live loop runs (``live_strategy`` then
``live_board``, tests and views excluded), in one process on one parse, as the loop does.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import ROOT, dbt_env, run_group

pytestmark = pytest.mark.slow

RACE = 10305  # the sample's first race: a safety car 12:19:07-12:29:31 UTC, a VSC later
CUT = datetime(2025, 3, 2, 12, 25, tzinfo=UTC)  # mid-race, under the safety car
GAP_TOLERANCE_S = 0.25  # lap-crossing gaps against OpenF1's intervals (sampled every ~4 s) at the race's end
MID_RACE_GAP_TOLERANCE_S = 1.0  # against the interval sample nearest the crossing (the field bunches under SC)
SELECTOR_BUILD = """
import json, sys, time
from pathlib import Path
from transform.runner import Dbt
dbt = Dbt("dev", Path(sys.argv[1]))
dbt.parse()
times = {}
for selector in sys.argv[2:]:
    started = time.perf_counter()
    result = dbt._invoke(["build"], ["--selector", selector, "--exclude-resource-type", "test",
                                     "--exclude-resource-type", "unit_test"])
    if not result.success:
        raise SystemExit(f"{selector}: {result.exception}")
    times[selector] = {"wall_s": time.perf_counter() - started, "dbt_s": result.result.elapsed_time,
                       "models": sorted(r.node.name for r in result.result.results
                                         if r.node.resource_type == "model")}
print(json.dumps(times))
"""


def rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any] | None = None) -> list[dict]:
    cursor = connection.execute(sql, parameters or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample_build[0]), read_only=True) as connection:
        yield connection


def cut_session(warehouse: Path, session_key: int, cut: datetime) -> None:
    """Make ``warehouse``'s raw rows of ``session_key`` what a live poll would have held at ``cut``."""
    with duckdb.connect(str(warehouse)) as connection:
        for table in ("position", "pit", "race_control", "weather", "overtakes", "team_radio", "car_data", "location"):
            connection.execute(f"delete from raw_openf1.{table} where session_key = ? and date > ?", [session_key, cut])
        # OpenF1 serves no intervals live
        connection.execute("delete from raw_openf1.intervals where session_key = ?", [session_key])
        for table in ("session_result", "starting_grid", "championship_drivers", "championship_teams"):
            connection.execute(f"delete from raw_openf1.{table} where session_key = ?", [session_key])
        connection.execute("delete from raw_openf1.laps where session_key = ? and date_start > ?", [session_key, cut])
        # a lap row fills in as its sectors complete
        ends = {
            "lap_duration": "lap_duration",
            "duration_sector_3": "lap_duration",
            "duration_sector_2": "duration_sector_1 + duration_sector_2",
            "duration_sector_1": "duration_sector_1",
        }
        for column, seconds in ends.items():
            connection.execute(
                f"""
                update raw_openf1.laps set {column} = null
                where session_key = ? and date_start + to_milliseconds(cast(({seconds}) * 1000 as bigint)) > ?
                """,
                [session_key, cut],
            )
        # stints not begun yet are unknown; an open stint ends at the car's current lap
        connection.execute(
            """
            create temp table current_laps as
            select driver_number, max(lap_number) as lap_number from raw_openf1.laps
            where session_key = ? group by driver_number
            """,
            [session_key],
        )
        connection.execute(
            """
            delete from raw_openf1.stints where session_key = ? and lap_start > coalesce(
                (select lap_number from current_laps where current_laps.driver_number = stints.driver_number), 0)
            """,
            [session_key],
        )
        connection.execute(
            """
            update raw_openf1.stints set lap_end = current_laps.lap_number from current_laps
            where stints.session_key = ? and stints.driver_number = current_laps.driver_number
                and stints.lap_end > current_laps.lap_number
            """,
            [session_key],
        )


def build_selectors(warehouse: Path, target: Path, *selectors: str) -> dict[str, Any]:
    """Run the live selectors on ``warehouse`` as the loop does (one process, one parse); their timings."""
    built = run_group(
        [sys.executable, "-c", textwrap.dedent(SELECTOR_BUILD), str(target), *selectors],
        timeout=900,
        env={**dbt_env(warehouse, target), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return json.loads(built.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def mid_race(
    sample_build: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, dict]]:
    """The mid-race warehouse (read-only) rebuilt by live_strategy + live_board, the full sample beside it."""
    work = tmp_path_factory.mktemp("board-mid-race")
    warehouse = work / "live.duckdb"
    shutil.copy(sample_build[0], warehouse)
    cut_session(warehouse, RACE, CUT)
    times = build_selectors(warehouse, work / "target", "live_strategy", "live_board")
    print(f"selector builds on the mid-race sample: {json.dumps(times)}")
    with (
        duckdb.connect(str(warehouse), read_only=True) as live,
        duckdb.connect(str(sample_build[0]), read_only=True) as full,
    ):
        yield live, full, times


# --- the finished season -------------------------------------------------------------------------------------------


def test_every_session_has_a_header_and_a_running_order(sample: duckdb.DuckDBPyConnection) -> None:
    sessions = rows(sample, "select session_key, session_kind from staging.stg_openf1__sessions")
    headers = {row["session_key"]: row for row in rows(sample, "select * from marts.board_sessions")}
    assert headers.keys() == {session["session_key"] for session in sessions}
    assert {header["session_status"] for header in headers.values()} == {"finished"}  # all ran to the flag
    ordered = {row["session_key"] for row in rows(sample, "select distinct session_key from marts.board_running_order")}
    kinds = {session["session_kind"] for session in sessions if session["session_key"] in ordered}
    assert kinds == {"race", "sprint", "qualifying", "sprint_qualifying", "practice"}


def test_final_running_order_is_the_order_on_track(sample: duckdb.DuckDBPyConnection) -> None:
    """At the end of each race and sprint the board's order of the classified cars is the order they took the flag
    in (most laps, then the earliest crossing of the line at the end of the last), computed from the raw laps; it is
    the session result's except where a time penalty moved a car (the board shows the track, the result the
    stewards)."""
    races = rows(sample, "select session_key from marts.board_sessions where session_kind in ('race', 'sprint')")
    assert len(races) == 5
    moved_by_penalty = 0
    for race in races:
        key = race["session_key"]
        on_track = rows(
            sample,
            """
            with last_laps as (
                select driver_number, lap_number, date_start + to_milliseconds(cast(lap_duration * 1000 as bigint))
                    as crossed_at
                from raw_openf1.laps where session_key = ?
                qualify row_number() over (partition by driver_number order by lap_number desc) = 1
            )
            select last_laps.driver_number from last_laps
            inner join raw_openf1.session_result as result
                on result.session_key = ? and result.driver_number = last_laps.driver_number
            where result.position is not null
            order by last_laps.lap_number desc, last_laps.crossed_at
            """,
            [key, key],
        )
        board = rows(
            sample,
            """
            select driver_number from marts.board_running_order where session_key = ?
                and driver_number in (select driver_number from raw_openf1.session_result
                                      where session_key = ? and position is not null)
            order by position
            """,
            [key, key],
        )
        assert board == on_track, key
        result = rows(
            sample,
            "select driver_number from raw_openf1.session_result where session_key = ? and position is not null "
            "order by position",
            [key],
        )
        if board != result:
            # the cars the stewards gave a time penalty: without them both orders agree
            penalised = {
                int(match)
                for (message,) in sample.execute(
                    "select message from raw_openf1.race_control where session_key = ? "
                    "and message like '%TIME PENALTY FOR CAR%'",
                    [key],
                ).fetchall()
                for match in re.findall(r"FOR CAR (\d+)", message)
            }
            assert penalised, key
            assert [row for row in board if row["driver_number"] not in penalised] == [
                row for row in result if row["driver_number"] not in penalised
            ], key
            moved_by_penalty += 1
        header = rows(sample, "select total_laps from marts.board_sessions where session_key = ?", [key])[0]
        winner_laps = rows(
            sample, "select number_of_laps from raw_openf1.session_result where session_key = ? and position = 1", [key]
        )[0]["number_of_laps"]
        assert header["total_laps"] == winner_laps, key
    assert moved_by_penalty >= 2  # 10305 (car 42) and 10323 (car 53): a 5 s penalty moved them down


def _gap(text: str | None) -> tuple[float | None, int | None]:
    """OpenF1's gap text as (seconds, laps)."""
    if text is None or text == "null":
        return None, None
    if "LAP" in text:
        return None, int(text.replace("+", "").replace("LAPS", "").replace("LAP", "").strip())
    return float(text), None


def test_gaps_from_intervals_are_the_latest_raw_intervals(sample: duckdb.DuckDBPyConnection) -> None:
    latest = rows(
        sample,
        """
        select session_key, driver_number, gap_to_leader, "interval"
        from raw_openf1.intervals
        qualify row_number() over (partition by session_key, driver_number order by date desc) = 1
        """,
    )
    board = {
        (row["session_key"], row["driver_number"]): row
        for row in rows(sample, "select * from marts.board_running_order where gap_source = 'intervals'")
    }
    assert len(latest) == len(board) >= 80
    for raw in latest:
        car = board[(raw["session_key"], raw["driver_number"])]
        assert (car["gap_to_leader_s"], car["gap_to_leader_laps"]) == _gap(raw["gap_to_leader"]), raw
        assert (car["interval_s"], car["interval_laps"]) == _gap(raw["interval"]), raw


def test_lap_crossing_gaps_agree_with_the_intervals(sample: duckdb.DuckDBPyConnection) -> None:
    """Where a race has both, the gaps derived from line crossings are OpenF1's intervals within a quarter second."""
    cars = rows(
        sample,
        "select * from marts.board_running_order where gap_source = 'intervals' and not has_stopped and position > 1",
    )
    assert len(cars) >= 80
    for car in cars:
        assert car["derived_gap_to_leader_laps"] == car["gap_to_leader_laps"], car
        assert car["derived_gap_to_leader_s"] == pytest.approx(car["gap_to_leader_s"], abs=GAP_TOLERANCE_S), car
        assert car["derived_interval_s"] == pytest.approx(car["interval_s"], abs=GAP_TOLERANCE_S), car


def test_stopped_cars_are_the_retirements(sample: duckdb.DuckDBPyConnection) -> None:
    board = rows(sample, "select * from marts.board_running_order")
    stopped = {(row["session_key"], row["driver_number"]) for row in board if row["has_stopped"]}
    on_board = {(row["session_key"], row["driver_number"]) for row in board}
    retired = {
        (row["session_key"], row["driver_number"])
        for row in rows(
            sample,
            """
            select session_key, driver_number from marts.fct_session_results
            where session_key in (select session_key from marts.board_sessions where session_kind in ('race', 'sprint'))
                and laps_completed < (select max(laps_completed) from marts.fct_session_results as winner
                                      where winner.session_key = fct_session_results.session_key) - 1
            """,
        )
    }
    assert stopped == retired & on_board  # a car that never started (no lap, no position) is not on the board
    assert stopped


def test_qualifying_and_practice_order_by_best_lap(sample: duckdb.DuckDBPyConnection) -> None:
    sessions = rows(sample, "select session_key from marts.board_sessions where session_kind not in ('race', 'sprint')")
    assert len(sessions) == 15
    for session in sessions:
        key = session["session_key"]
        best = rows(
            sample,
            """
            select driver_number, min(lap_duration) as best from raw_openf1.laps where session_key = ?
            group by driver_number order by best nulls last, driver_number
            """,
            [key],
        )
        board = rows(
            sample,
            "select driver_number, best_lap_s, gap_to_leader_s from marts.board_running_order where session_key = ? "
            "order by position",
            [key],
        )
        assert [row["driver_number"] for row in board] == [row["driver_number"] for row in best], key
        assert board[1]["gap_to_leader_s"] == pytest.approx(best[1]["best"] - best[0]["best"]), key


def test_sector_bests_are_the_raw_laps_minima(sample: duckdb.DuckDBPyConnection) -> None:
    for sector in (1, 2, 3):
        column = f"duration_sector_{sector}"
        expected = {
            row["session_key"]: row
            for row in rows(
                sample,
                f"""
                with latest as (
                    select session_key, driver_number, lap_number, {column} as s from raw_openf1.laps
                    where {column} is not null
                    qualify row_number() over (partition by session_key, driver_number order by lap_number desc) = 1
                )
                select l.session_key, min(l.s) as latest_best,
                    (select min({column}) from raw_openf1.laps as a where a.session_key = l.session_key) as best
                from latest as l group by l.session_key
                """,
            )
        }
        board = rows(sample, "select * from marts.board_sector_bests where sector_number = ?", [sector])
        assert len(board) == len(expected) == 20
        for row in board:
            assert row["latest_best_s"] == expected[row["session_key"]]["latest_best"], row
            assert row["session_best_s"] == expected[row["session_key"]]["best"], row
            setter = rows(
                sample,
                f"select {column} as s from raw_openf1.laps where session_key = ? and driver_number = ? "
                "and lap_number = ?",
                [row["session_key"], row["session_best_driver_number"], row["session_best_lap_number"]],
            )
            assert setter[0]["s"] == row["session_best_s"]


def test_race_control_feed_is_newest_first(sample: duckdb.DuckDBPyConnection) -> None:
    latest = rows(
        sample,
        "select message from raw_openf1.race_control where session_key = ? "
        "order by date desc, record_hash desc limit 3",
        [RACE],
    )
    board = rows(
        sample,
        "select message from marts.board_race_control where session_key = ? and message_rank <= 3 "
        "order by message_rank",
        [RACE],
    )
    assert board == latest
    sc = rows(
        sample,
        "select track_status from marts.board_race_control where session_key = ? and message = 'SAFETY CAR DEPLOYED'",
        [RACE],
    )
    assert sc == [{"track_status": "sc"}]


def test_tyres_and_pit_stops_at_the_end(sample: duckdb.DuckDBPyConnection) -> None:
    """Each finisher's tyres are its last stint (age at fitting + laps on it - 1 at its last lap); pit stops are
    fct_pit_stops' race stops."""
    cars = rows(sample, "select * from marts.board_running_order where session_key = ? and not has_stopped", [RACE])
    assert len(cars) == 18
    for car in cars:
        last = rows(
            sample,
            "select * from raw_openf1.stints where session_key = ? and driver_number = ? order by stint_number desc "
            "limit 1",
            [RACE, car["driver_number"]],
        )[0]
        assert (car["stint_number"], car["compound"]) == (last["stint_number"], last["compound"]), car
        assert car["tyre_age_laps"] == last["tyre_age_at_start"] + last["lap_end"] - last["lap_start"], car
        stops = rows(
            sample,
            "select count(*) as n, max(lap_number) as lap from marts.fct_pit_stops where session_key = ? "
            "and driver_number = ? and stop_kind = 'race_stop'",
            [RACE, car["driver_number"]],
        )[0]
        assert (car["pit_stops"], car["last_pit_lap_number"]) == (stops["n"], stops["lap"]), car


def test_pit_window_rejoin_position(sample: duckdb.DuckDBPyConnection) -> None:
    """rejoin_position = 1 + the running lead-lap cars whose gap is below the car's own plus the pit loss."""
    cars = rows(
        sample,
        """
        select running_order.*, pit_windows.pit_loss_s, pit_windows.rejoin_position
        from marts.board_running_order as running_order
        inner join marts.board_pit_windows as pit_windows using (session_key, driver_number)
        where session_key = ?
        """,
        [RACE],
    )
    loss = rows(
        sample,
        "select median_pit_loss_s from marts.pit_loss_by_track_status where track_status = 'green' and circuit_key = "
        "(select circuit_key from marts.board_sessions where session_key = ?) order by season desc limit 1",
        [RACE],
    )[0]["median_pit_loss_s"]
    running = [car for car in cars if not car["has_stopped"] and car["gap_to_leader_laps"] is None]
    for car in cars:
        assert car["pit_loss_s"] == pytest.approx(loss)
        if car not in running:
            assert car["rejoin_position"] is None, car
            continue
        ahead = [
            other for other in running if other is not car and other["gap_to_leader_s"] < car["gap_to_leader_s"] + loss
        ]
        assert car["rejoin_position"] == 1 + len(ahead), car


# --- mid-race -----------------------------------------------------------------------------------------------------


def test_mid_race_header_is_running_under_the_safety_car(mid_race: tuple) -> None:
    live, full, _ = mid_race
    header = rows(live, "select * from marts.board_sessions where session_key = ?", [RACE])[0]
    assert header["session_status"] == "running"
    assert header["session_status_source"] == "data"  # no chequered flag yet, no SessionStatus rows in the sample
    assert header["track_status"] == "sc"
    assert header["total_laps"] is None
    assert header["has_intervals"] is False
    current = rows(
        full,
        "select max(lap_number) as lap from raw_openf1.laps where session_key = ? and date_start <= ?",
        [RACE, CUT],
    )[0]["lap"]
    assert header["current_lap_number"] == current
    latest = rows(
        full,
        """
        select max(t) as t from (
            select max(date_start) as t from raw_openf1.laps where session_key = $1 and date_start <= $2
            union all
            select max(date_start + to_milliseconds(cast(lap_duration * 1000 as bigint))) from raw_openf1.laps
            where session_key = $1 and date_start + to_milliseconds(cast(lap_duration * 1000 as bigint)) <= $2
            union all
            select max(date) from raw_openf1.position where session_key = $1 and date <= $2
            union all
            select max(date) from raw_openf1.race_control where session_key = $1 and date <= $2
            union all
            select max(date) from raw_openf1.pit where session_key = $1 and date <= $2
        )
        """,
        [RACE, CUT],
    )[0]["t"]
    assert header["data_time_at"] == latest.astimezone(UTC).replace(tzinfo=None)
    others = rows(live, "select count(*) as n from marts.board_sessions where session_status = 'finished'")[0]["n"]
    assert others == 19


def test_mid_race_running_order_and_tyres_are_the_replay_at_the_cut(mid_race: tuple) -> None:
    live, full, _ = mid_race
    board = rows(live, "select * from marts.board_running_order where session_key = ? order by position", [RACE])
    positions = rows(
        full,
        """
        select driver_number from raw_openf1.position where session_key = ? and date <= ?
        qualify row_number() over (partition by driver_number order by date desc) = 1
        order by position
        """,
        [RACE, CUT],
    )
    assert [car["driver_number"] for car in board] == [row["driver_number"] for row in positions]
    assert {car["gap_source"] for car in board} == {"lap_crossings"}
    for car in board:
        laps = rows(
            full,
            """
            select lap_number, date_start, lap_duration from raw_openf1.laps
            where session_key = ? and driver_number = ? and date_start <= ? order by lap_number
            """,
            [RACE, car["driver_number"], CUT],
        )
        current = laps[-1]["lap_number"]
        last = laps[-1]
        done = last["lap_duration"] is not None and last["date_start"] + timedelta(seconds=last["lap_duration"]) <= CUT
        # every earlier lap is complete; the current one too only if the car stopped at its end (a retirement)
        assert car["laps_completed"] == (current if done else current - 1), car
        stint = rows(
            full,
            """
            select stint_number, compound, tyre_age_at_start + ? - lap_start as age from raw_openf1.stints
            where session_key = ? and driver_number = ? and lap_start <= ? order by stint_number desc limit 1
            """,
            [current, RACE, car["driver_number"], current],
        )[0]
        assert (car["stint_number"], car["compound"], car["tyre_age_laps"]) == (
            stint["stint_number"],
            stint["compound"],
            stint["age"],
        ), car


def test_mid_race_gaps_match_the_intervals_at_the_crossing(mid_race: tuple) -> None:
    """The derived gap of each car is the interval sample (full sample's) nearest its last crossing."""
    live, full, _ = mid_race
    cars = rows(
        live,
        """
        select running_order.*, laps.crossed_at
        from marts.board_running_order as running_order
        inner join marts.board_laps as laps
            on running_order.session_key = laps.session_key
            and running_order.driver_number = laps.driver_number
            and running_order.laps_completed = laps.lap_number
        where running_order.session_key = ? and running_order.position > 1
        """,
        [RACE],
    )
    assert len(cars) >= 15
    for car in cars:
        nearest = rows(
            full,
            """
            select gap_to_leader from raw_openf1.intervals where session_key = ? and driver_number = ?
            order by abs(epoch(date) - epoch(cast(? as timestamptz))) limit 1
            """,
            [RACE, car["driver_number"], car["crossed_at"].replace(tzinfo=UTC)],
        )[0]
        seconds, laps = _gap(nearest["gap_to_leader"])
        assert car["gap_to_leader_laps"] == laps, car
        if seconds is not None:
            assert car["gap_to_leader_s"] == pytest.approx(seconds, abs=MID_RACE_GAP_TOLERANCE_S), car


def test_live_board_selector_is_small(mid_race: tuple) -> None:
    """live_board rebuilds the board marts and the few tables between them and the views, nothing else."""
    _, _, times = mid_race
    assert set(times["live_board"]["models"]) == {
        "board_laps",
        "board_sessions",
        "board_running_order",
        "board_stints",
        "board_pit_windows",
        "board_race_control",
        "board_sector_bests",
        "int_track_status_periods",
        "int_pit_stops_sequenced",
        "int_pit_stops_classified",
    }
    strategy = set(times["live_strategy"]["models"])
    assert {"fct_undercut_chances", "pit_loss_by_track_status", "int_laps_enriched", "fct_laps"} <= strategy
    assert not any(name.startswith("stg_") or name.startswith("board_") for name in strategy)


def test_every_table_a_board_mart_reads_is_rebuilt_by_a_live_selector() -> None:
    """The board reads the staging views, the tables live_board rebuilds, and the strategy marts of live_strategy:
    no other table (it would be stale during a session)."""
    manifest = json.loads(_manifest().read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    listed = _selected("live_board") | _selected("live_strategy")
    for node in nodes.values():
        if node["resource_type"] != "model" or "board" not in node["config"].get("tags", []):
            continue
        for parent in node["depends_on"]["nodes"]:
            upstream = nodes.get(parent)
            if upstream is None or upstream["config"]["materialized"] == "view":
                continue
            assert upstream["name"] in listed, f"{node['name']} reads {upstream['name']}, which no live selector builds"


def _manifest() -> Path:
    target = ROOT / "target" / "board-selectors"
    if not (target / "manifest.json").is_file():
        _dbt_ls("live_board")
    return target / "manifest.json"


_SELECTED: dict[str, set[str]] = {}


def _selected(selector: str) -> set[str]:
    if selector not in _SELECTED:
        _SELECTED[selector] = set(_dbt_ls(selector))
    return _SELECTED[selector]


def _dbt_ls(selector: str) -> list[str]:
    target = ROOT / "target" / "board-selectors"
    listed = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "ls",
            "--selector",
            selector,
            "--resource-type",
            "model",
            "--output",
            "name",
            "--quiet",
            "--target-path",
            str(target),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**dbt_env(Path(":memory:"), target), "PATH": "/usr/bin:/bin"},
    )
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    return [line.strip() for line in listed.stdout.splitlines() if line.strip()]
