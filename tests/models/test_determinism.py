"""Two builds of the same raw data give identical marts and feature tables (STYLE.md, "Determinism").

Build #1 is a fixture's: the simulated sample's (``sample_build``, ``make test-dbt``'s when up to date) or the real
2024 season's (``real_2024_build``). Build #2 copies build #1's DuckDB file, drops every schema dbt wrote there
(the incremental models then start from nothing, as they did in build #1, and the raw tables are the very ones
build #1 read, which the test checks), stores every raw table's rows in reverse order, and runs ``dbt build``
again on another number of dbt threads (seeds and models: data tests never write, and one failing on real data
says nothing about determinism). Then:

- every table and view in ``marts`` and ``features`` has the same content hash in both builds (tests/table_hash.py:
  order-independent, over whole rows);
- every table model's compiled SQL, run again with DuckDB on ``PROBE_THREADS`` threads against build #2's own
  upstream tables, gives that table's content again: at least ``PROBE_RUNS[0]`` times, and up to ``PROBE_RUNS[1]``
  times while its runs have taken under ``PROBE_SECONDS`` (a model of milliseconds gets every run, one of
  seconds the fewest; the verdict on a deterministic model never depends on the clock).

A window ordered by a key with ties (two race-control messages in the same second) takes the tied rows in the
order they reach it, which comes from one of two places. Where nothing upstream reorders them, the order they are
stored in: the reversed raw tables flip every such pair, so build #2 differs every time. Where a parallel operator
sits upstream (a window partitioned by a row id, a hash join), the order DuckDB's threads finish in: with one
thread always the same, with several any of a few, so two builds agree perhaps one time in three; re-running each
model up to ten times makes missing it negligible, costs seconds on the sample, and names the model at fault rather
than the marts downstream. Neither changes anything for a model whose every window has a total order.

Doubles are compared rounded (to 2**-20, then single precision); a difference in their last bits only is reported
as a warning naming the tables and columns (see tests/table_hash.py), not as a failure.
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from pathlib import Path

import duckdb
import pytest

from tests.conftest import dbt_env, models_built, run_module
from tests.table_hash import content_differences, float_differences, relation_hash, table_hashes

SECOND_BUILD_THREADS = 1  # dbt's; build #1 ran on profiles.yml's 4
PROBE_RUNS = (2, 10)  # each model's SQL is run again at least 2 and at most 10 times ...
PROBE_SECONDS = 0.5  # ... stopping after 2 once its runs have taken this long
PROBE_THREADS = 8  # DuckDB's, more than the machine's cores: more orders in which tied rows can arrive


class FloatBitsWarning(UserWarning):
    """Two builds gave doubles that differ in their last bits only (parallel sums in another order)."""


def _manifest(target: Path) -> dict:
    return json.loads((target / "manifest.json").read_text())


def _dbt_schemas(target: Path) -> set[str]:
    """Every schema a node of the build in ``target`` writes to (models, seeds, snapshots)."""
    nodes = _manifest(target)["nodes"].values()
    return {node["schema"] for node in nodes if node["resource_type"] in ("model", "seed", "snapshot")}


def _source_schemas(target: Path) -> tuple[str, ...]:
    """The schemas dbt's sources read (the loader's raw tables)."""
    return tuple(sorted({source["schema"] for source in _manifest(target)["sources"].values()}))


def rebuild(first: Path, first_target: Path, work: Path) -> tuple[Path, Path]:
    """Build #2: build #1's file copied, every schema dbt wrote dropped, the raw rows stored in reverse order,
    ``dbt build`` on the copy.

    A table's rows have no order, and the loader's order is dlt's business: with the rows of every raw table
    stored the other way round, a model that leans on the order rows are scanned in (two race-control messages
    of the same second, taken in the order they were loaded) gives another result, always, not by chance.
    """
    work.mkdir(parents=True, exist_ok=True)
    second = work / first.name  # the same file name: the same catalog name in every compiled query
    shutil.copyfile(first, second)
    wal = first.with_name(f"{first.name}.wal")
    if wal.exists():
        shutil.copyfile(wal, second.with_name(wal.name))
    with duckdb.connect(str(second)) as con:
        for schema in sorted(_dbt_schemas(first_target)):
            con.execute(f'drop schema if exists "{schema}" cascade')
        raw = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in (select unnest(?))",
            [list(_source_schemas(first_target))],
        ).fetchall()
        for schema, table in raw:
            relation = f'"{schema}"."{table}"'
            con.execute(f"create temp table reversed_rows as select * from {relation} order by rowid desc")
            con.execute(f"delete from {relation}")
            con.execute(f"insert into {relation} select * from reversed_rows")
            con.execute("drop table reversed_rows")
    target = work / "target"
    built = run_module(
        "dbt.cli.main",
        *("build", "--quiet", "--threads", str(SECOND_BUILD_THREADS)),
        *("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"),
        timeout=900,
        env=dbt_env(second, target),
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
    return second, target


def probe(warehouse: Path, target: Path) -> tuple[list[str], list[str]]:
    """Every table model's compiled SQL run again against ``warehouse``: (content changed, float bits changed)."""
    nodes = json.loads((target / "manifest.json").read_text())["nodes"].values()
    models = [
        node
        for node in nodes
        if node["resource_type"] == "model" and node["config"]["materialized"] in ("table", "incremental")
    ]
    changed, floats = [], []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"set threads = {PROBE_THREADS}")
        for node in sorted(models, key=lambda node: node["name"]):
            stored = relation_hash(con, node["relation_name"])
            # a new line before the parenthesis: the compiled SQL may end in a comment
            query = f"(\n{node['compiled_code']}\n)"
            started, fewest, most = time.monotonic(), *PROBE_RUNS
            for attempt in range(1, most + 1):
                again = relation_hash(con, query)
                if (again.rows, again.content) != (stored.rows, stored.content):
                    changed.append(f"{node['name']}: {stored.short()}, run {attempt} gave {again.short()}")
                    break
                if again.exact != stored.exact and node["name"] not in floats:
                    floats.append(node["name"])
                if attempt >= fewest and time.monotonic() - started > PROBE_SECONDS:
                    break
    return changed, floats


def assert_builds_identical(first: Path, first_target: Path, work: Path) -> None:
    assert models_built(first_target), f"build #1 in {first_target} built no model"
    started = time.monotonic()
    second, second_target = rebuild(first, first_target, work)
    built = time.monotonic()
    raw = _source_schemas(first_target)
    assert table_hashes(first, raw) == table_hashes(second, raw), "the raw tables hold other rows"
    assert set(models_built(first_target)) == set(models_built(second_target))
    one, two = table_hashes(first), table_hashes(second)
    assert one, f"no table in marts or features of {first}"
    changed_models, float_models = probe(second, second_target)
    timing = f"build #2 {built - started:.0f} s, hashes and probe {time.monotonic() - built:.0f} s"

    noise = float_differences(one, two)
    if noise or float_models:
        lines = [*noise, *(f"{model}: run again" for model in float_models)]
        warnings.warn(FloatBitsWarning("doubles differ in their last bits only:\n" + "\n".join(lines)), stacklevel=2)
    differing = content_differences(one, two)
    if differing or changed_models:
        pytest.fail(
            f"two builds of the same raw data differ ({timing}):\n"
            + "\n".join(differing or ["(marts and features equal this time)"])
            + f"\nmodels run again (DuckDB on {PROBE_THREADS} threads) giving another result:\n"
            + "\n".join(changed_models or ["(none)"]),
            pytrace=False,
        )


def _tied_deployments(warehouse: Path, target: Path) -> int:
    """Safety cars, VSCs and red flags whose second a sector CLEAR shares (the quirk that exposes ties)."""
    race_control = _manifest(target)["sources"]["source.openf1.openf1.race_control"]["relation_name"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (count,) = con.execute(
            f"""
            select count(*)
            from {race_control} as deployment
            inner join {race_control} as sector_clear
                on sector_clear.session_key = deployment.session_key and sector_clear.date = deployment.date
            where (deployment.message like '%SAFETY CAR DEPLOYED' or deployment.flag = 'RED')
                and sector_clear.flag = 'CLEAR' and sector_clear.scope = 'Sector'
            """
        ).fetchone()
    return count


@pytest.mark.slow
@pytest.mark.parametrize(
    "build",
    [
        pytest.param("sample_build", id="sample"),
        pytest.param("real_2024_build", id="real-2024", marks=pytest.mark.real),
    ],
)
def test_two_builds_of_the_same_raw_data_are_identical(
    build: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # build #1; the real season's fixture also returns dbt's result: failing data tests do not matter here
    warehouse, target = request.getfixturevalue(build)[:2]
    assert _tied_deployments(warehouse, target), (
        f"{warehouse} holds no deployment sharing its second with a sector CLEAR, the tie this test must see; "
        "a sample simulated before the simulator had that quirk? (rm -rf warehouse/samples, then make test-dbt)"
    )
    assert_builds_identical(warehouse, target, tmp_path / "second")
