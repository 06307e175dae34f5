"""The metrics layer (dbt MetricFlow, ``make metrics``): the semantic models validate, and every metric MetricFlow
answers on the published copy equals plain SQL over the marts written here independently, by driver and season,
by team and season, and by day (the session's date, metric_time). The sample in CI; real 2024 when present."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.adapters.factory import reset_adapters
from dbt_metricflow.cli.cli_configuration import CLIConfiguration
from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtArtifacts
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator

from tests.conftest import ROOT, real_snapshot

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Metric:
    """A metric and the plain SQL it must equal: one row per fact with its keys and the value to aggregate."""

    name: str
    rows: str
    aggregate: str = "sum"  # how the rows' values add up: sum, or avg for a mean

    @property
    def additive(self) -> bool:
        return self.aggregate == "sum"


# Each fact row with (season, driver_id, team_name, session_date, value): the definitions, restated in SQL.
METRICS = [
    Metric(
        "points", "select season, driver_id, team_name, session_date, points as value from marts.fct_session_results"
    ),
    Metric(
        "wins",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_session_results"
        " where session_kind = 'race' and classified_position = 1",
    ),
    Metric(
        "podiums",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_session_results"
        " where session_kind = 'race' and classified_position in (1, 2, 3)",
    ),
    Metric(
        "poles",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_qualifying"
        " where session_kind = 'qualifying' and grid_position = 1",
    ),
    Metric(
        "fastest_qualifiers",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_qualifying"
        " where session_kind = 'qualifying' and qualifying_position = 1",
    ),
    Metric(
        "dnfs",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_session_results"
        " where session_kind = 'race' and status = 'DNF'",
    ),
    Metric(
        "race_starts",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_session_results"
        " where session_kind = 'race' and result_class <> 'DNS'",
    ),
    Metric(
        "fastest_laps",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_session_results"
        " where session_kind = 'race' and has_fastest_lap",
    ),
    Metric(
        "positions_gained",
        "select season, driver_id, team_name, session_date, grid_position - classified_position as value"
        " from marts.fct_session_results where session_kind = 'race'",
    ),
    Metric(
        "laps_led",
        "select laps.season, laps.driver_id, laps.team_name, laps.session_date, 1 as value from marts.fct_laps as laps"
        " inner join marts.dim_sessions as sessions on laps.session_key = sessions.session_key"
        " where sessions.session_kind = 'race' and laps.position_at_lap_end = 1",
    ),
    Metric(
        "overtakes_made",
        "select season, overtaking_driver_id as driver_id, null as team_name, session_date, 1 as value"
        " from marts.fct_overtakes",
    ),
    Metric(
        "overtakes_suffered",
        "select season, overtaken_driver_id as driver_id, null as team_name, session_date, 1 as value"
        " from marts.fct_overtakes",
    ),
    Metric(
        "pit_stops",
        "select season, driver_id, team_name, session_date, 1 as value from marts.fct_pit_stops"
        " where stop_kind = 'race_stop'",
    ),
    Metric(
        "mean_pit_lane_duration_s",
        "select season, driver_id, team_name, session_date, lane_duration_s as value from marts.fct_pit_stops"
        " where stop_kind = 'race_stop'",
        "avg",
    ),
    Metric(
        "mean_stationary_duration_s",
        "select season, driver_id, team_name, session_date, stop_duration_s as value from marts.fct_pit_stops"
        " where stop_kind = 'race_stop'",
        "avg",
    ),
    Metric(
        "mean_degradation_s_per_lap",
        "select season, driver_id, team_name, session_date, degradation_s_per_lap as value from marts.tyre_degradation",
        "avg",
    ),
]
# the overtakes marts carry no team
TEAM_METRICS = [metric for metric in METRICS if not metric.name.startswith("overtakes_")]

# (id, MetricFlow's group-by, the same keys in the plain SQL, the metrics that have them)
GROUPINGS = [
    pytest.param(["driver", "session__season"], "driver_id, season", METRICS, id="driver-season"),
    pytest.param(["team", "session__season"], "team_name, season", TEAM_METRICS, id="team-season"),
    pytest.param(["metric_time__day"], "session_date", METRICS, id="session-date"),
]

# driver_season_summary counts the same things per (season, driver): one home for each definition
SEASON_SUMMARY = {
    "points": "points",
    "wins": "wins",
    "podiums": "podiums",
    "poles": "pole_positions",
    "fastest_qualifiers": "fastest_qualifier_count",
    "fastest_laps": "fastest_laps",
}


def metrics_project(published: Path, metrics_dir: Path) -> Path:
    """mf's project folder for a published copy, as the Makefile's rule makes it: dbt_project.yml and the semantic
    manifest that ``dbt parse --target published`` writes to ``<folder>/target``."""
    manifest = metrics_dir / "target" / "semantic_manifest.json"
    (metrics_dir / "target").mkdir(parents=True, exist_ok=True)
    (metrics_dir / "dbt_project.yml").write_bytes((ROOT / "dbt_project.yml").read_bytes())
    parsed = subprocess.run(
        [str(BIN / "dbt"), "parse", "--target", "published", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **mf_env(published, metrics_dir), "DBT_PROJECT_DIR": str(ROOT)},
    )
    assert parsed.returncode == 0 and manifest.is_file(), parsed.stdout[-3000:] + parsed.stderr[-3000:]
    return metrics_dir


def mf_env(published: Path, metrics_dir: Path) -> dict[str, str]:
    """The environment ``make metrics`` gives mf."""
    return {
        "DBT_TARGET": "published",
        "OPENF1_PUBLISHED": str(published.resolve()),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_TARGET_PATH": str(metrics_dir / "target"),
        "DBT_LOG_PATH": str(metrics_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def metricflow(published: Path, metrics_dir: Path) -> MetricFlowEngine:
    """MetricFlow as mf sets it up (the dbt adapter of the `published` target), in this process."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in mf_env(published, metrics_dir).items():
            patch.setenv(name, value)
        config = CLIConfiguration()
        config.setup(dbt_profiles_path=ROOT, dbt_project_path=metrics_dir, configure_file_logging=False)
        engine = config.mf  # loads the manifest and the adapter while the environment is set
    return engine


def metricflow_values(
    engine: MetricFlowEngine, metrics: list[Metric], group_by: list[str]
) -> dict[str, dict[tuple, float]]:
    """One MetricFlow query for every metric: {metric: {keys: value}}."""
    table = engine.query(
        MetricFlowQueryRequest.create(metric_names=[metric.name for metric in metrics], group_by_names=group_by)
    ).result_df
    columns = list(table.column_names)
    key_columns = [columns.index(name) for name in group_by]
    values: dict[str, dict[tuple, float]] = {}
    for metric in metrics:
        column = columns.index(metric.name)
        values[metric.name] = {
            tuple(normalise(row[index]) for index in key_columns): row[column]
            for row in table.rows
            if row[column] is not None
        }
    return values


def published_connection(published: Path) -> duckdb.DuckDBPyConnection:
    """The published copy, read-only, for the plain SQL (attached: MetricFlow's adapter may hold it open here)."""
    con = duckdb.connect()
    con.execute(f"attach '{published}' as published (read_only)")
    con.execute("use published")
    return con


def sql_values(con: duckdb.DuckDBPyConnection, metric: Metric, keys: str) -> dict[tuple, float]:
    rows = con.execute(
        f"select {keys}, {metric.aggregate}(value) from ({metric.rows}) as fact_rows group by all"
    ).fetchall()
    return {tuple(normalise(value) for value in row[:-1]): row[-1] for row in rows if row[-1] is not None}


def normalise(value: object) -> object:
    """Keys as both sides give them: a date or a midnight timestamp as its ISO date, numbers as int."""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def comparable(values: dict[tuple, float], metric: Metric) -> dict[tuple, float]:
    """Counts and sums: a group with 0 is a group without rows (MetricFlow outer-joins the metrics' groups)."""
    return {key: round(float(value), 6) for key, value in values.items() if not (metric.additive and float(value) == 0)}


def assert_metrics_equal_sql(
    engine: MetricFlowEngine, published: Path, group_by, keys, metrics, without_data: frozenset[str] = frozenset()
) -> None:
    """Every metric as MetricFlow answers it == the plain SQL; ``without_data``: metrics the data has no rows for."""
    answered = metricflow_values(engine, metrics, group_by)
    con = published_connection(published)
    mismatches = []
    for metric in metrics:
        expected = comparable(sql_values(con, metric, keys), metric)
        got = comparable(answered[metric.name], metric)
        assert expected or metric.name in without_data, f"{metric.name}: no rows in SQL, so the check proves nothing"
        if got != expected:
            wrong = sorted(set(got.items()) ^ set(expected.items()), key=str)[:6]
            mismatches.append(f"{metric.name} by {keys}: MetricFlow != SQL, e.g. {wrong}")
    assert not mismatches, "\n".join(mismatches)


# ---- the sample (CI) -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_metrics(published_sample: tuple[Path, Path, Path]) -> Iterator[tuple[Path, Path]]:
    """The published sample and mf's project folder for it (the Makefile's target/<warehouse id>-metrics)."""
    published, _, dbt_target = published_sample
    metrics_dir = dbt_target.parent / f"{dbt_target.name}-metrics"
    yield published, metrics_project(published, metrics_dir)


@pytest.fixture(scope="module")
def sample_engine(sample_metrics: tuple[Path, Path]) -> MetricFlowEngine:
    return metricflow(*sample_metrics)


@pytest.fixture(scope="module", autouse=True)
def release_metricflow_connections() -> Iterator[None]:
    """MetricFlow's dbt adapter keeps the published copy open for the rest of the process (dbt-duckdb holds its
    DuckDB environment in a class attribute), so a later reader of the same file with another configuration fails
    ("different configuration than existing connections"): release it when this module ends."""
    yield
    reset_adapters()
    DuckDBConnectionManager.close_all_connections()
    gc.collect()


@pytest.mark.slow
def test_semantic_manifest_validates(sample_metrics: tuple[Path, Path]) -> None:
    """What mf validate-configs checks first: the semantic models, metrics and saved queries hang together."""
    _, metrics_dir = sample_metrics
    manifest = dbtArtifacts.build_semantic_manifest_from_dbt_project_root(metrics_dir)
    results = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert not results.has_blocking_issues, [issue.as_readable_str() for issue in results.all_issues]
    assert {metric.name for metric in manifest.metrics} == {metric.name for metric in METRICS}, (
        "every metric has a plain-SQL twin in METRICS"
    )


@pytest.mark.slow
@pytest.mark.parametrize(("group_by", "keys", "metrics"), GROUPINGS)
def test_metrics_equal_plain_sql_on_the_sample(
    sample_engine: MetricFlowEngine, sample_metrics: tuple[Path, Path], group_by, keys, metrics
) -> None:
    assert_metrics_equal_sql(sample_engine, sample_metrics[0], group_by, keys, metrics)


@pytest.mark.slow
def test_metrics_match_driver_season_summary(
    sample_engine: MetricFlowEngine, sample_metrics: tuple[Path, Path]
) -> None:
    """The counts driver_season_summary holds are the metrics' (poles: grid slot 1 after penalties)."""
    answered = metricflow_values(
        sample_engine, [Metric(name, "") for name in SEASON_SUMMARY], ["driver", "session__season"]
    )
    con = published_connection(sample_metrics[0])
    for metric, column in SEASON_SUMMARY.items():
        rows = con.execute(f"select driver_id, season, {column} from marts.driver_season_summary").fetchall()
        expected = comparable(
            {(driver, season): value for driver, season, value in rows if value is not None}, Metric(metric, "")
        )
        assert expected, f"driver_season_summary.{column} is empty"
        assert comparable(answered[metric], Metric(metric, "")) == expected, (
            f"{metric} != driver_season_summary.{column}"
        )


@pytest.mark.slow
def test_make_metrics_reads_the_published_copy_while_a_build_holds_the_working_file(
    published_sample: tuple[Path, Path, Path], sample_build: tuple[Path, Path], tmp_path: Path
) -> None:
    """make metrics (mf query through the Makefile) answers while the working file is open for writing elsewhere:
    it never opens it, nor takes the build's lock."""
    warehouse, _ = sample_build
    writer = duckdb.connect(str(warehouse))  # the lock a running build holds
    try:
        csv = tmp_path / "points.csv"
        done = subprocess.run(
            [
                "make",
                "metrics",
                f"WAREHOUSE={warehouse.relative_to(ROOT)}",
                "METRICS=points,wins",
                "GROUP_BY=driver__driver_code,metric_time__year",
                "WHERE={{ Dimension('session__session_kind') }} = 'race'",
                "ORDER_BY=-points",
                f"CSV={csv}",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        writer.close()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    header, *rows = csv.read_text().splitlines()
    assert header.split(",") == ["metric_time__year", "driver__driver_code", "points", "wins"]
    published, _, _ = published_sample
    expected = (
        published_connection(published)
        .execute("select sum(points) from marts.fct_session_results where session_kind = 'race'")
        .fetchone()[0]
    )
    assert sum(float(row.split(",")[2]) for row in rows) == pytest.approx(expected)


@pytest.mark.slow
def test_make_metrics_without_a_published_copy_says_so_in_one_line() -> None:
    done = subprocess.run(
        ["make", "metrics", "WAREHOUSE=warehouse/test/never-built.duckdb", "METRICS=points"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert len(lines) == 1 and "no published copy" in lines[0] and "make build" in lines[0], done.stderr


# ---- real 2024 -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_metrics(real_2024_build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The real 2024 build's marts copied into a published copy (named like its working file), and mf's folder."""
    warehouse, _, _ = real_2024_build
    real_snapshot("truth-2024")
    work = tmp_path_factory.mktemp("real-2024-metrics")
    published = work / "published" / warehouse.name
    published.parent.mkdir()
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as working (read_only)")
    con.execute(f"attach '{published}' as copy (storage_version 'v1.4.0')")
    con.execute("create schema copy.marts")
    for (table,) in con.execute(
        "select table_name from duckdb_tables() where database_name = 'working' and schema_name = 'marts'"
    ).fetchall():
        con.execute(f"create table copy.marts.{table} as from working.marts.{table}")
    con.close()
    return published, metrics_project(published, work / "metrics")


@pytest.mark.slow
@pytest.mark.real
@pytest.mark.parametrize(("group_by", "keys", "metrics"), GROUPINGS)
def test_metrics_equal_plain_sql_on_real_2024(real_metrics: tuple[Path, Path], group_by, keys, metrics) -> None:
    # OpenF1's 2024 pit data has lane times only: the stationary time (stop_duration) starts in 2025
    assert_metrics_equal_sql(
        metricflow(*real_metrics), real_metrics[0], group_by, keys, metrics, frozenset({"mean_stationary_duration_s"})
    )
