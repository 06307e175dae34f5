"""Apache Superset on the published copy: the committed bundle, and Superset itself through its REST API.

The end-to-end test installs .venv-superset (2-3 minutes cold, then about a minute of setup), so it runs in
``make test-superset`` (which .ci/run calls after ``make test``), not in ``make test``: it sets
OPENF1_SUPERSET_TEST=1. It starts Superset on a free port against the published sample, logs in, runs SQL Lab
queries and every dashboard chart's data request, and checks the numbers against plain DuckDB SQL over the same file.
"""

from __future__ import annotations

import http.cookiejar
import json
import math
import os
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from superset_bi import provision, venv
from superset_bi.server import running_superset

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "superset_bi" / "bundle"
CHARTS = sorted((BUNDLE / "charts").glob("*.yaml"))
# each dashboard chart's numbers as plain SQL over the published copy, in the chart's row order
EXPECTED_SQL = {
    "Drivers' championship after each round": """
        select round, driver_code, max(points) as points from marts.driver_standings
        where season = (select max(season) from marts.driver_standings)
        group by all order by round, driver_code""",
    "Wins and points by team": """
        select team_name, sum(points) as points, sum(wins) as wins from marts.constructor_standings
        where (season, round) = (select (season, round) from marts.constructor_standings
                                 order by season desc, round desc limit 1)
        group by all order by points desc, team_name""",
    "Race pit-stop times by team": """
        select team_name, median(lane_duration_s) as lane, median(stop_duration_s) as stationary
        from marts.fct_pit_stops
        where stop_kind = 'race_stop' and season = (select max(season) from marts.fct_pit_stops)
        group by all order by lane, team_name""",
    "Tyre degradation by compound": """
        select compound, avg(degradation_s_per_lap) as degradation from marts.tyre_degradation
        where season = (select max(season) from marts.tyre_degradation) and compound is not null
        group by all order by degradation desc, compound""",
}


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


# ---- the bundle (fast: no Superset) -----------------------------------------------------------------------


@pytest.mark.parametrize("chart", CHARTS, ids=[chart.stem for chart in CHARTS])
def test_chart_reads_a_mart_and_saves_its_query(chart: Path) -> None:
    config = _yaml(chart)
    marts = {path.stem for path in (ROOT / "models" / "marts").glob("*.sql")}
    by_uuid = {provision.dataset_uuid("marts", table): table for table in marts}
    assert config["dataset_uuid"] in by_uuid, f"{chart.name}: dataset_uuid is no marts table's uuid5"
    table = by_uuid[config["dataset_uuid"]]
    query = json.loads(config["query_context"])["queries"][0]
    # the saved query (what GET /chart/<id>/data runs) and the UI's form agree on the filter and the metrics
    filters = " ".join(" ".join(f["sqlExpression"].split()) for f in config["params"]["adhoc_filters"])
    assert query["extras"]["where"] == filters
    assert f"marts.{table}" in filters, f"{chart.name}: its season filter reads another table"
    assert [m["label"] for m in query["metrics"]] == [m["label"] for m in config["params"]["metrics"]]
    assert config["slice_name"] in EXPECTED_SQL, f"{chart.name}: no plain-SQL check of its numbers"


def test_dashboard_places_every_chart() -> None:
    position = _yaml(BUNDLE / "dashboards" / "openf1_season.yaml")["position"]
    placed = {node["meta"]["uuid"] for node in position.values() if isinstance(node, dict) and node["type"] == "CHART"}
    assert placed == {_yaml(chart)["uuid"] for chart in CHARTS}
    for node in position.values():
        if isinstance(node, dict):
            for child in node.get("children", []):
                assert child in position, f"{node['id']} names a missing child {child}"


def test_lock_keeps_superset_pins() -> None:
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", venv.LOCK.read_text(), flags=re.M))
    pins = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    assert pins["apache-superset"] == "6.1.0"
    assert pins["sqlalchemy"].startswith("1.4.")
    assert pins["duckdb"].startswith("1.5.")  # reads storage v1.4.0, as the published copy is written
    assert pins["flask-caching"] == "2.3.1"
    assert {"duckdb-engine", "cachetools", "rich"} <= pins.keys()


# ---- Superset itself (make test-superset) -----------------------------------------------------------------


def _publish(working: Path, published: Path, extra_sql: str = "") -> None:
    """The published copy the serving layer writes: marts and features as tables, storage v1.4.0, one rename."""
    temporary = published.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    published.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute(f"attach '{working}' as working (read_only)")
    connection.execute(f"attach '{temporary}' as pub (storage_version 'v1.4.0')")
    tables = connection.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = 'working' and table_schema in ('marts', 'features')"
    ).fetchall()
    for schema in {schema for schema, _ in tables}:
        connection.execute(f"create schema pub.{schema}")
    for schema, table in tables:
        connection.execute(f"create table pub.{schema}.{table} as from working.{schema}.{table}")
    if extra_sql:
        connection.execute(extra_sql)
    connection.execute("detach pub")
    connection.close()
    os.replace(temporary, published)


@pytest.fixture(scope="module")
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a published copy of the sample that the test may replace, the working file it was made from)."""
    if os.environ.get("OPENF1_SUPERSET_TEST") != "1":
        pytest.skip("installs Apache Superset (~2-3 min cold): run by `make test-superset`, which .ci/run calls")
    working, _ = request.getfixturevalue("sample_build")
    path = tmp_path_factory.mktemp("superset-published") / "openf1.duckdb"
    try:
        shutil.copyfile(request.getfixturevalue("published_sample")[0], path)
    except pytest.FixtureLookupError:  # before the serving layer's fixture: publish it the same way here
        _publish(working, path)
    return path, working


class Client:
    """Superset's REST API as a script uses it: a JWT from /security/login, a CSRF token for POSTs."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.headers = {"Referer": url}
        login = self.call("POST", "/api/v1/security/login", {"username": user, "password": password, "provider": "db"})
        self.headers["Authorization"] = f"Bearer {login['access_token']}"
        self.headers["X-CSRFToken"] = self.call("GET", "/api/v1/security/csrf_token/")["result"]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = dict(self.headers, **({"Content-Type": "application/json"} if body is not None else {}))
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=120) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: HTTP {error.code} {error.read().decode()[:500]}") from None

    def sql(self, database_id: int, sql: str) -> list[dict[str, Any]]:
        result = self.call(
            "POST", "/api/v1/sqllab/execute/", {"database_id": database_id, "sql": sql, "runAsync": False}
        )
        assert result["status"] == "success", result
        return result["data"]


def _same(superset_rows: list[list[Any]], duckdb_rows: list[tuple[Any, ...]]) -> bool:
    def close(a: Any, b: Any) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return a == b

    return len(superset_rows) == len(duckdb_rows) and all(
        len(x) == len(y) and all(close(a, b) for a, b in zip(x, y, strict=True))
        for x, y in zip(superset_rows, duckdb_rows, strict=True)
    )


@pytest.mark.slow
def test_superset_serves_the_published_copy(published: tuple[Path, Path], tmp_path: Path) -> None:
    path, working = published
    plain = duckdb.connect(str(path), read_only=True)
    with running_superset(path, tmp_path / "superset", say=lambda line: None) as superset:
        client = Client(superset.url, superset.user, superset.password)
        databases = client.call("GET", "/api/v1/database/")["result"]
        assert [d["database_name"] for d in databases] == ["OpenF1 (published)"]
        database_id = databases[0]["id"]

        # SQL Lab against the marts: the same rows as DuckDB's
        sql = (
            "select team_name, count(*) as stops, sum(lane_duration_s) as lane_s"
            " from marts.fct_pit_stops group by all order by team_name"
        )
        rows = client.sql(database_id, sql)
        assert rows, "no pit stops in the published sample"
        assert _same([list(row.values()) for row in rows], plain.execute(sql).fetchall())
        # DuckDB itself holds the file read-only, not just Superset's DML switch
        assert client.sql(database_id, "select current_setting('access_mode') as mode") == [{"mode": "read_only"}]
        # and SQL Lab reaches no other file: not the build's working file, not the machine's
        for other_file in (working.resolve(), Path("/etc/hostname")):
            with pytest.raises(AssertionError, match="disabled by configuration"):
                client.sql(database_id, f"select count(*) as n from read_blob('{other_file}')")

        # every chart of the dashboard: its saved query's data equals plain SQL over the same file
        for chart in CHARTS:
            config = _yaml(chart)
            chart_id = superset.charts[config["uuid"]]
            result = client.call("GET", f"/api/v1/chart/{chart_id}/data/")["result"][0]
            expected = plain.execute(EXPECTED_SQL[config["slice_name"]]).fetchall()
            if config["viz_type"] == "echarts_timeseries_line":  # pivoted: one column per driver
                expected_by_round: dict[int, dict[str, float]] = {}
                for round_number, driver, points in expected:
                    expected_by_round.setdefault(round_number, {})[driver] = points
                got = {row.pop("round"): row for row in result["data"]}
                assert got.keys() == expected_by_round.keys()
                for round_number, drivers in expected_by_round.items():
                    # the pivot leaves null a driver with no standing yet in that round (a later debut)
                    row = {column.split(", ")[-1]: value for column, value in got[round_number].items()}
                    assert {driver: value for driver, value in row.items() if value is not None} == drivers
            else:
                # rows keyed by the x axis (ties in the sorted metric may come in either order)
                def by_x(row: Any) -> tuple[bool, str]:
                    return row[0] is None, str(row[0])

                got_rows = sorted([list(row.values()) for row in result["data"]], key=by_x)
                assert _same(got_rows, sorted(expected, key=by_x)), config["slice_name"]

        # a new build's copy swapped in while Superset runs: its next query sees it (no handle held on the old one)
        _publish(working, path, "create table pub.marts.superset_probe as select 42 as answer")
        assert client.sql(database_id, "select answer from marts.superset_probe") == [{"answer": 42}]
        pid = superset.pid
    plain.close()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # gunicorn and its worker are gone

    # started again on another warehouse's copy with the same working folder: the database now points there
    other = tmp_path / "other" / "published" / "other.duckdb"
    _publish(working, other, "create table pub.marts.superset_probe as select 7 as answer")
    with running_superset(other, tmp_path / "superset", say=lambda line: None) as superset:
        client = Client(superset.url, superset.user, superset.password)
        database_id = client.call("GET", "/api/v1/database/")["result"][0]["id"]
        # 7 is only in the other copy (the first holds 42 now)
        assert client.sql(database_id, "select answer from marts.superset_probe") == [{"answer": 7}]
        pid = superset.pid
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
