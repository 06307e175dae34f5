"""The ML feature tables (models/features) on a simulated season: point-in-time correct, true to the simulator.

One module-scoped warehouse: a small simulated season with telemetry, loaded with the pipeline CLI and built
with dbt (fuel effect set from the truth sidecar, the one constant of the lap-time model the warehouse cannot
know). Then:

- point in time: the raw data is cut to what existed before race k started (later sessions and race k's own
  rows deleted, its practice and qualifying kept, race k's calendar row kept), the warehouse rebuilt with
  --full-refresh, and race k's feature columns must be identical to the full build's;
- ground truth: per-compound degradation slopes within 15 % of the simulator's wear, and the corrected race
  pace ranking drivers as the simulator's hidden total pace does (Spearman >= 0.9), read from the truth file;
- export: one Parquet per table with a split column, the test weekends strictly after the train weekends.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from features_export import FEATURE_TABLES, split_meetings
from tests.conftest import ROOT, run_module

ROUNDS = 4
SEED = 7
DRY_COMPOUNDS = ("SOFT", "MEDIUM", "HARD")
DEGRADATION_TOLERANCE = 0.15
SPEARMAN_MIN = 0.9


def _dbt(warehouse: Path, target: Path, *args: str) -> None:
    env = {
        "OPENF1_WAREHOUSE": str(warehouse),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }
    result = run_module("dbt.cli.main", *args, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _build(warehouse: Path, target: Path, fuel_effect: float) -> None:
    """Build the feature tables and everything upstream, and the fastest laps' grid (incremental models
    rebuilt from scratch)."""
    dbt_vars = json.dumps({"fuel_effect_s_per_lap": fuel_effect})
    _dbt(warehouse, target, "seed", "--quiet")
    selected = ("+models/features", "+fct_fastest_lap_distance_grid")
    _dbt(warehouse, target, "run", "--quiet", "--full-refresh", "--select", *selected, "--vars", dbt_vars)


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("features")
    snapshot = root / "sim"
    result = run_module(
        "openf1_replay.simulator",
        *("--season", "2025", "--rounds", str(ROUNDS), "--seed", str(SEED)),
        *("--telemetry", "races", "--telemetry-hz", "1", "--out", str(snapshot)),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    truth = json.loads(Path(f"{snapshot}.truth.json").read_text())
    warehouse = root / "full.duckdb"
    result = run_module(
        "dlt_pipelines.pipeline", "--source", str(snapshot), "--warehouse", str(warehouse), "--telemetry"
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    fuel_effect = truth["model"]["fuel_effect_s_per_lap"]
    _build(warehouse, root / "target-full", fuel_effect)
    return {"root": root, "warehouse": warehouse, "truth": truth, "fuel_effect": fuel_effect}


def _read(warehouse: Path, sql: str, *params: object) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def _truncate_before(warehouse: Path, race_session_key: int) -> None:
    """Delete every raw row that did not exist when the race started: later sessions and the race itself."""
    with duckdb.connect(str(warehouse)) as con:
        (race_start,) = con.execute(
            "select date_start from raw_openf1.sessions where session_key = ?", [race_session_key]
        ).fetchone()
        later = "select session_key from raw_openf1.sessions where date_start >= ?"
        tables = con.execute(
            "select distinct table_name from information_schema.columns "
            "where table_schema = 'raw_openf1' and column_name = 'session_key' and table_name != 'sessions'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f"delete from raw_openf1.{table} where session_key in ({later})", [race_start])
        # the calendar: later sessions and meetings go; the race's own row stays (its start is scheduled)
        con.execute(
            "delete from raw_openf1.sessions where date_start > ? and session_key != ?", [race_start, race_session_key]
        )
        con.execute("delete from raw_openf1.meetings where date_start > ?", [race_start])


@pytest.mark.slow
def test_driver_race_features_are_point_in_time(season: dict) -> None:
    races = _read(
        season["warehouse"],
        "select race_session_key from features.race_context_features order by race_started_at",
    )["race_session_key"].tolist()
    assert len(races) == ROUNDS
    race_k = int(races[-2])  # a race with history before it and a later race that must not leak into it
    full = _read(
        season["warehouse"],
        "select * from features.driver_race_features where race_session_key = ? order by driver_number",
        race_k,
    )
    context_full = _read(
        season["warehouse"], "select * from features.race_context_features where race_session_key = ?", race_k
    )
    assert len(full) >= 18 and full["target_finish_position"].notna().any()

    cut = season["root"] / "cut.duckdb"
    shutil.copy(season["warehouse"], cut)
    _truncate_before(cut, race_k)
    _build(cut, season["root"] / "target-cut", season["fuel_effect"])
    truncated = _read(
        cut, "select * from features.driver_race_features where race_session_key = ? order by driver_number", race_k
    )
    context_cut = _read(cut, "select * from features.race_context_features where race_session_key = ?", race_k)

    features = [column for column in full.columns if not column.startswith("target_")]
    assert len(features) > 20
    pd.testing.assert_frame_equal(
        full[features].reset_index(drop=True), truncated[features].reset_index(drop=True), rtol=1e-9
    )
    # the cut really removed the race: its targets are unknown there
    assert truncated["target_finish_position"].isna().all()
    pre_race = [column for column in context_full.columns if not column.startswith("observed_")]
    pd.testing.assert_frame_equal(context_full[pre_race], context_cut[pre_race], rtol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("compound", [pytest.param(c, id=c.lower()) for c in DRY_COMPOUNDS])
def test_degradation_recovers_simulated_wear(season: dict, compound: str) -> None:
    truth_slope = season["truth"]["model"]["compound_degradation_s_per_lap"][compound]
    stints = _read(
        season["warehouse"],
        "select degradation_s_per_lap, representative_laps from features.stint_features "
        "where session_kind in ('race', 'sprint') and compound = ? and degradation_s_per_lap is not null",
        compound,
    )
    assert len(stints) >= 10, f"too few {compound} stints with a slope"
    estimate = (stints["degradation_s_per_lap"] * stints["representative_laps"]).sum() / stints[
        "representative_laps"
    ].sum()
    assert abs(estimate - truth_slope) <= DEGRADATION_TOLERANCE * truth_slope, (compound, estimate, truth_slope)


def _truth_driver_id(driver: dict) -> str:
    """Our driver_id (acronym-last name, lower case) for a truth driver."""
    last_name = driver["full_name"].split(" ", 1)[1].replace(" ", "-")
    return f"{driver['name_acronym']}-{last_name}".lower()


@pytest.mark.slow
def test_race_pace_ranks_drivers_as_hidden_pace(season: dict) -> None:
    pace = _read(
        season["warehouse"],
        "select driver_id, avg(race_pace_vs_field_s) as pace_s from features.driver_performance_features "
        "where race_pace_vs_field_s is not null group by driver_id",
    )
    truth = pd.DataFrame(
        {"driver_id": _truth_driver_id(driver), "total_pace_s": driver["total_pace_s"]}
        for driver in season["truth"]["drivers"]
    )
    merged = pace.merge(truth, on="driver_id", how="inner")
    assert len(merged) == len(truth), "every simulated driver should have a race pace"
    # Spearman = Pearson on ranks (scipy is not installed)
    spearman = merged["pace_s"].rank().corr(merged["total_pace_s"].rank())
    assert spearman >= SPEARMAN_MIN, spearman


@pytest.mark.slow
def test_export_writes_parquet_with_time_split(season: dict) -> None:
    out = season["root"] / "export"
    result = run_module("features_export", "--warehouse", str(season["warehouse"]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    for table in FEATURE_TABLES:
        frame = pd.read_parquet(out / f"{table}.parquet")
        rows = _read(season["warehouse"], f"select count(*) as n from features.{table}")["n"][0]
        assert len(frame) == rows, table
        assert set(frame["split"]) <= {"train", "test"}, table
    races = pd.read_parquet(out / "race_context_features.parquet")
    assert (races["split"] == "test").sum() == math.ceil(ROUNDS * 0.2)
    assert (
        races.loc[races["split"] == "train", "race_started_at"].max()
        < races.loc[races["split"] == "test", "race_started_at"].min()
    )
    drivers = pd.read_parquet(out / "driver_race_features.parquet")
    test_meetings = set(races.loc[races["split"] == "test", "meeting_key"])
    assert set(drivers.loc[drivers["split"] == "test", "meeting_key"]) == test_meetings


@pytest.mark.parametrize(
    ("races", "fraction", "expected_test"),
    [
        pytest.param(10, 0.2, 2, id="ten-races"),
        pytest.param(6, 0.2, 2, id="rounds-up"),
        pytest.param(2, 0.5, 1, id="keeps-one-train"),
        pytest.param(1, 0.2, 0, id="single-race-all-train"),
    ],
)
def test_split_meetings_holds_out_the_latest_weekends(races: int, fraction: float, expected_test: int) -> None:
    con = duckdb.connect()
    con.execute("create schema features")
    con.execute(
        "create table features.race_context_features as select 100 + i as meeting_key, 1000 + i as race_session_key, "
        "timestamp '2025-03-02 12:00:00' + to_days(cast(7 * i as integer)) as race_started_at from range(?) as t(i)",
        [races],
    )
    train, test = split_meetings(con, fraction)
    assert len(test) == expected_test
    assert train + test == [100 + i for i in range(races)]


INCREMENTAL = {
    "staging.stg_openf1__car_data": "session_key, driver_number, recorded_at",
    "staging.stg_openf1__locations": "session_key, driver_number, recorded_at",
    "marts.fct_laps": "session_key, driver_number, lap_number",
    "features.lap_telemetry_features": "session_key, driver_number, lap_number",
    "marts.fct_fastest_lap_telemetry": "session_key, driver_number, sample_index",
    "marts.fct_fastest_lap_distance_grid": "session_key, driver_number, grid_index",
}


@pytest.mark.slow
def test_incremental_build_of_a_new_round_matches_the_full_build(season: dict) -> None:
    """The telemetry staging tables, fct_laps, lap_telemetry_features and the fastest laps' telemetry and grid
    are incremental: a warehouse built before the last round arrived, built again after it, holds exactly what a
    build from scratch holds."""
    warehouse = season["root"] / "incremental.duckdb"
    shutil.copy(season["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        new_round = (
            "select session_key from raw_openf1.sessions "
            "where meeting_key = (select max(meeting_key) from raw_openf1.meetings)"
        )
        for table in INCREMENTAL:
            con.execute(f"delete from {table} where session_key in ({new_round})")
    dbt_vars = json.dumps({"fuel_effect_s_per_lap": season["fuel_effect"]})
    models = [table.split(".")[1] for table in INCREMENTAL]
    _dbt(warehouse, season["root"] / "target-incremental", "run", "--quiet", "--select", *models, "--vars", dbt_vars)
    for table, keys in INCREMENTAL.items():
        full = _read(season["warehouse"], f"select * from {table} order by {keys}")
        rebuilt = _read(warehouse, f"select * from {table} order by {keys}")
        assert len(full) > 1000
        pd.testing.assert_frame_equal(full, rebuilt, rtol=1e-9)


@pytest.mark.slow
def test_telemetry_staging_follows_each_sessions_newest_complete_load(season: dict) -> None:
    """An incremental build rebuilds a session whose newest complete load changed (reloaded with fewer rows and
    revised speeds, while the replaced load is still in the raw table; then that load gone again), ignores a
    load that never completed, and leaves every other session as it was."""
    warehouse = season["root"] / "reloaded.duckdb"
    shutil.copy(season["warehouse"], warehouse)
    key = "session_key, driver_number, recorded_at"
    target = season["root"] / "target-reloaded"

    def staged() -> pd.DataFrame:
        _dbt(warehouse, target, "run", "--quiet", "--select", "stg_openf1__car_data")
        return _read(warehouse, f"select * from staging.stg_openf1__car_data order by {key}")

    before = _read(warehouse, f"select * from staging.stg_openf1__car_data order by {key}")
    with duckdb.connect(str(warehouse)) as con:
        (session,) = con.execute("select min(session_key) from raw_openf1.car_data").fetchone()
        # the session loaded again, OpenF1 having revised its speeds and dropped its first minute
        con.execute(
            "insert into raw_openf1.car_data select * replace ('9999999999.5' as _dlt_load_id, speed + 1 as speed) "
            "from raw_openf1.car_data where session_key = ? "
            "and date >= (select min(date) + interval 1 minute from raw_openf1.car_data where session_key = ?)",
            [session, session],
        )
        con.execute(
            "insert into raw_openf1._dlt_loads select * replace ('9999999999.5' as load_id) "
            "from raw_openf1._dlt_loads limit 1"
        )
    reloaded = staged()
    mine, others = reloaded["session_key"] == session, before["session_key"] != session
    first_minute = before["recorded_at"] < before.loc[~others, "recorded_at"].min() + pd.Timedelta(minutes=1)
    assert set(reloaded.loc[mine, "_dlt_load_id"]) == {"9999999999.5"}
    assert mine.sum() == (~others & ~first_minute).sum() > 0
    revised = before[~others & ~first_minute]
    assert (reloaded.loc[mine, "speed_kph"].to_numpy() == revised["speed_kph"].to_numpy() + 1).all()
    pd.testing.assert_frame_equal(reloaded[~mine].reset_index(drop=True), before[others].reset_index(drop=True))

    with duckdb.connect(str(warehouse)) as con:  # the newer load gone: back to the session's first load
        con.execute("delete from raw_openf1.car_data where _dlt_load_id = '9999999999.5'")
        con.execute("delete from raw_openf1._dlt_loads where load_id = '9999999999.5'")
    pd.testing.assert_frame_equal(staged(), before)

    with duckdb.connect(str(warehouse)) as con:  # a load that never completed is not read
        con.execute(
            "insert into raw_openf1.car_data select * replace ('9999999999.7' as _dlt_load_id, speed + 5 as speed) "
            "from raw_openf1.car_data where session_key = ?",
            [session],
        )
    pd.testing.assert_frame_equal(staged(), before)
