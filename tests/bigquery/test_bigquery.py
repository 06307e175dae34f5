"""The BigQuery test's own parts, offline and fast: the DuckDB-only SQL check, the emulator's fake credentials,
the partition/cluster check and the row-count comparison. ``make test-bigquery`` runs the whole thing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigquery import e2e, sql_check
from bigquery.emulator import write_fake_credentials


def rules_hit(sql: str) -> set[str]:
    return {finding.rule.name for finding in sql_check.check_sql(Path("model.sql"), sql)}


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        pytest.param("select * from laps where team_name ilike '%red%'", "ILIKE", id="ilike"),
        pytest.param("select try_cast(gap as double) from intervals", "TRY_CAST", id="try-cast"),
        pytest.param("select gap::float from intervals", "'::' cast", id="double-colon"),
        pytest.param("select cast(gap as double) as gap_s from intervals", "DuckDB type name", id="cast-double"),
        pytest.param("create table t (\n    name varchar,\n    x int64\n)", "DuckDB type name", id="ddl-varchar"),
        pytest.param("select strftime(date_start, '%Y') from sessions", "strftime/strptime", id="strftime"),
        pytest.param("select epoch(date_start) from sessions", "epoch()", id="epoch"),
        pytest.param("select date_trunc('day', date_start) from sessions", "unit-first date function", id="trunc"),
        pytest.param("select datediff('second', a, b) from t", "datediff()", id="datediff"),
        pytest.param("select timezone('UTC', date_start) from sessions", "timezone()", id="timezone"),
        pytest.param("select date_start + interval '3 hours' from sessions", "string interval", id="interval"),
        pytest.param("select arg_max(driver_number, points) from results", "arg_max/arg_min", id="arg-max"),
        pytest.param("select median(lap_duration) from laps", "median/quantile/mode", id="median"),
        pytest.param("select count(*) filter (where is_pit_out_lap) from laps", "aggregate FILTER", id="filter"),
        pytest.param("select * from (values (1, 2)) as v (a, b)", "VALUES table", id="values"),
        pytest.param("select 1 as a\nexcept\nselect 2", "bare UNION/EXCEPT/INTERSECT", id="bare-except"),
        pytest.param("select 1 as a union select 2", "bare UNION/EXCEPT/INTERSECT", id="bare-union"),
        pytest.param("select * exclude (rec) from t", "* EXCLUDE", id="exclude"),
        pytest.param("select lap_number % 2 from laps", "'%' / '//' / '==' operator", id="modulo"),
        pytest.param('select "driver_number" from laps', "double-quoted name", id="double-quotes"),
        pytest.param("select bool_or(is_pit_out_lap) from laps", "bool_and/bool_or", id="bool-or"),
        pytest.param("select list(driver_number) from laps", "list/struct function", id="list"),
    ],
)
def test_duckdb_only_sql_is_found(sql: str, rule: str) -> None:
    assert rule in rules_hit(sql)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(
            "select safe_cast(gap as float64) as gap_s, countif(is_pit_out_lap) as pit_out_laps\n"
            "from `openf1-emulator`.`staging`.`stg_openf1__laps`\n"
            "where team_name like '%Red Bull%' -- a ::comment with ilike and try_cast(\n"
            "qualify row_number() over (partition by session_key order by lap_number nulls last) = 1",
            id="bigquery-functions-comments-and-literals",
        ),
        pytest.param(
            "select * except (rec) from t\nunion all\nselect * except (rec) from u\nexcept distinct\nselect 1",
            id="star-except-and-set-operations",
        ),
        pytest.param(
            "select to_hex(md5(cast(driver_number as string))) as driver_id,\n"
            "date_trunc(started_at, day) as started_on, timestamp_diff(a, b, second) as s, '84.5 s' as text",
            id="dbt-cross-database-output",
        ),
        pytest.param(
            "merge into `p`.`marts`.`fct_laps` as DBT_INTERNAL_DEST using (select * from t) as DBT_INTERNAL_SOURCE\n"
            "on (DBT_INTERNAL_SOURCE.a = DBT_INTERNAL_DEST.a)\n"
            "when not matched then insert (`a`) values (`a`)",
            id="dbt-bigquery-merge",
        ),
        pytest.param(
            "create or replace table `p`.`marts`.`fct_laps`\n(\n    session_key INT64 not null,\n"
            "    session_name string,\n    lap_duration_s float64,\n    is_pit_out_lap bool\n)\n"
            "partition by range_bucket(season, generate_array(2023, 2051, 1))\ncluster by session_key\nOPTIONS()\n"
            "as (select 1)",
            id="contract-ddl-with-portable-types",
        ),
    ],
)
def test_bigquery_sql_passes(sql: str) -> None:
    assert rules_hit(sql) == set()


def test_code_only_keeps_positions_and_blanks_literals() -> None:
    sql = "select 'a -- b', `x y` -- note\nfrom t /* c\nd */ where s = 'it''s'"
    code = sql_check.code_only(sql)
    assert len(code) == len(sql)
    assert code.count("\n") == sql.count("\n")
    assert "note" not in code and "a -- b" not in code and "it" not in code
    assert code.startswith("select '      ', `   `")
    assert "from t" in code


def test_findings_name_file_and_line(tmp_path: Path) -> None:
    compiled = tmp_path / "compiled" / "openf1" / "models" / "bad.sql"
    compiled.parent.mkdir(parents=True)
    compiled.write_text("select\n    1\nfrom t\nwhere name ilike 'x'\n")
    findings = sql_check.check_target(tmp_path)
    assert [(f.path, f.line, f.rule.name) for f in findings] == [(compiled, 4, "ILIKE")]
    assert sql_check.report(findings, base=tmp_path).splitlines() == [
        "ILIKE (1x; use: lower(x) like lower(pattern)):",
        "  compiled/openf1/models/bad.sql:4: where name ilike 'x'",
    ]


def test_target_type_in_a_model_is_found(tmp_path: Path) -> None:
    model = tmp_path / "models" / "marts" / "m.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select {% if target.type == 'bigquery' %}1{% else %}2{% endif %} as x\n")
    (tmp_path / "models" / "marts" / "ok.sql").write_text("select {{ utc_timestamp('a') }} as x\n")
    findings = sql_check.check_project(tmp_path)
    assert [(f.path.name, f.rule.name) for f in findings] == [("m.sql", "target.type in a model")]


def test_fake_credentials_never_refresh(tmp_path: Path) -> None:
    """google-auth must take the token as valid: a refresh would call Google and hang without a network."""
    from google.oauth2.credentials import Credentials

    path = write_fake_credentials(tmp_path, "openf1-emulator")
    info = json.loads(path.read_text())
    credentials = Credentials.from_authorized_user_info(info)
    assert info["type"] == "authorized_user"
    assert credentials.valid and not credentials.expired
    assert credentials.token == "emulator"


def _manifest_with(config: dict, ddl: str, tmp_path: Path) -> dict:
    run = tmp_path / "run" / "openf1" / "models" / "marts" / "fct_laps.sql"
    run.parent.mkdir(parents=True, exist_ok=True)
    run.write_text(ddl)
    node = {
        "resource_type": "model",
        "name": "fct_laps",
        "package_name": "openf1",
        "original_file_path": "models/marts/fct_laps.sql",
        "config": config,
    }
    return {"nodes": {"model.openf1.fct_laps": node}}


PARTITIONED = {
    "partition_by": {"field": "season", "data_type": "int64", "range": {"start": 2023, "end": 2051, "interval": 1}},
    "cluster_by": ["session_key", "driver_number"],
}
DDL = (
    "create or replace table `p`.`marts`.`fct_laps`\n(\n    season INT64\n)\n"
    "partition by range_bucket(\n    season,\n    generate_array(2023, 2051, 1)\n)\n"
    "cluster by session_key, driver_number\nOPTIONS()\nas (select 1)"
)


def test_layout_check_accepts_the_configured_ddl(tmp_path: Path) -> None:
    assert e2e.check_layout(_manifest_with(PARTITIONED, DDL, tmp_path), tmp_path) == (1, [])


@pytest.mark.parametrize(
    ("ddl", "problem"),
    [
        pytest.param(DDL.replace("cluster by session_key, driver_number\n", ""), "no CLUSTER BY", id="no-cluster"),
        pytest.param(
            DDL.replace("partition by range_bucket(", "-- partition by range_bucket(\n("),
            "no PARTITION BY",
            id="no-partition",
        ),
        pytest.param(
            DDL.replace("session_key, driver_number", "driver_number, session_key"), "no CLUSTER BY", id="order"
        ),
    ],
)
def test_layout_check_finds_missing_partitioning(tmp_path: Path, ddl: str, problem: str) -> None:
    checked, problems = e2e.check_layout(_manifest_with(PARTITIONED, ddl, tmp_path), tmp_path)
    assert checked == 1
    assert len(problems) == 1 and problem in problems[0]


def test_row_count_differences_are_listed() -> None:
    bigquery = {"model.openf1.fct_laps": 8798, "model.openf1.dim_drivers": 20, "source.openf1.openf1.laps": 10}
    duckdb = {"model.openf1.fct_laps": 8798, "model.openf1.dim_drivers": 21, "model.openf1.extra": 0}
    assert e2e.compare_counts(bigquery, duckdb) == [
        "model.openf1.dim_drivers: BigQuery 20, DuckDB 21",
        "model.openf1.extra: BigQuery missing, DuckDB 0",
        "source.openf1.openf1.laps: BigQuery 10, DuckDB missing",
    ]


def test_only_models_of_dlt_bookkeeping_skip_the_count_comparison() -> None:
    """stg_openf1__loads counts loads (the warehouses are loaded a different number of times); a model reading a
    real raw table, alone or beside _dlt_loads, is compared."""
    manifest = {
        "sources": {
            "source.openf1.openf1._dlt_loads": {"identifier": "_dlt_loads"},
            "source.openf1.openf1.laps": {"identifier": "laps"},
        },
        "nodes": {
            "model.openf1.stg_openf1__loads": {
                "resource_type": "model",
                "depends_on": {"nodes": ["source.openf1.openf1._dlt_loads"]},
            },
            "model.openf1.stg_openf1__car_data": {
                "resource_type": "model",
                "depends_on": {"nodes": ["source.openf1.openf1._dlt_loads", "source.openf1.openf1.laps"]},
            },
            "model.openf1.dim_sessions": {
                "resource_type": "model",
                "depends_on": {"nodes": ["model.openf1.stg_openf1__loads"]},
            },
            "seed.openf1.points_systems": {"resource_type": "seed", "depends_on": {"nodes": []}},
        },
    }
    assert e2e.bookkeeping_models(manifest) == {"model.openf1.stg_openf1__loads"}
