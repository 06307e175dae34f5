"""Prove BI tools read the published copy: SQLAlchemy + duckdb-engine on DuckDB 1.5, and DuckDB 1.4.

Runs under .venv-bi (``make bi-check``; ``python -m bi`` sets it up). It talks to the project only through
files: the published DuckDB copy, opened read-only as a BI tool would (a SQLAlchemy URL), and dbt's
``build_manifest.json``, whose enforced contracts say each public column's type. It

1. reflects every column of every table in ``marts`` and ``features`` through SQLAlchemy's inspector and checks
   it against the contract: the same columns, the SQLAlchemy type a BI tool sees (never "unknown"), and DuckDB's
   own type;
2. runs a few analyst queries (standings after the last round, race winners, pit stops per team);
3. opens the copy with DuckDB 1.4 (Evidence's node API, older CLI/DBeaver installs) and reads every table: the
   same rows as DuckDB 1.5 reads.

Each problem is one line; a short summary ends it. Exit 0 when it all holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import duckdb_engine
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bi import environment, read_tables

SCHEMAS = read_tables.SCHEMAS
# A contract's data_type (dbt's, BigQuery spellings included) -> (DuckDB's type, the SQLAlchemy type a BI tool
# sees through duckdb-engine). DuckDB DOUBLE reflects as SQLAlchemy FLOAT: both are Float.
CONTRACT_TYPES: dict[str, tuple[str, type[sa.types.TypeEngine]]] = {
    **dict.fromkeys(("string", "varchar", "text"), ("VARCHAR", sa.String)),
    **dict.fromkeys(("integer", "int", "int4", "int32"), ("INTEGER", sa.Integer)),
    **dict.fromkeys(("int64", "bigint", "int8"), ("BIGINT", sa.BigInteger)),
    **dict.fromkeys(("float64", "double", "float8", "double precision"), ("DOUBLE", sa.Float)),
    **dict.fromkeys(("bool", "boolean"), ("BOOLEAN", sa.Boolean)),
    **dict.fromkeys(("timestamp", "datetime"), ("TIMESTAMP", sa.DateTime)),
    **dict.fromkeys(("timestamptz", "timestamp with time zone"), ("TIMESTAMP WITH TIME ZONE", sa.DateTime)),
    "date": ("DATE", sa.Date),
}
MANIFEST_TRIES = 5  # a file being replaced (make transform moves a finished copy into place) is retried


class CheckError(RuntimeError):
    """The check cannot run at all (no copy, no manifest); the message says why and what to do."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # as the contract spells it


def url(published: Path) -> str:
    """The SQLAlchemy URL a BI tool is given: read-only, so it never takes a writer's lock."""
    return f"duckdb:///{published}?access_mode=read_only"


def load_contracts(dbt_target: Path) -> dict[str, list[Column]]:
    """``{"schema.table": [Column, ...]}`` for every contracted model of SCHEMAS in the published build's manifest.

    ``build_manifest.json``: dbt's manifest as the passing build left it (make transform keeps it); manifest.json
    itself is rewritten by every later dbt command, a build running beside this check included.
    """
    path = dbt_target / "build_manifest.json"
    for attempt in range(MANIFEST_TRIES):
        try:
            manifest = json.loads(path.read_text())
            break
        except FileNotFoundError:
            raise CheckError(f"no dbt manifest at {path}: build the warehouse first (make build)") from None
        except json.JSONDecodeError:  # half-written by a dbt run that just started
            if attempt == MANIFEST_TRIES - 1:
                raise CheckError(f"{path} is not valid JSON: run make build again") from None
            time.sleep(1)
    contracts = {}
    for node in manifest["nodes"].values():
        enforced = node.get("config", {}).get("contract", {}).get("enforced")
        if node["resource_type"] == "model" and node["schema"] in SCHEMAS and enforced:
            columns = [Column(name, column.get("data_type") or "") for name, column in node["columns"].items()]
            contracts[f"{node['schema']}.{node['alias']}"] = columns
    if not contracts:
        raise CheckError(f"{path} has no contracted models in {', '.join(SCHEMAS)}: is it this project's build?")
    return contracts


def check_columns(connection: Connection, contracts: dict[str, list[Column]], problems: list[str]) -> tuple[int, int]:
    """Reflect every column of SCHEMAS and compare with the contracts; return (tables, columns) reflected."""
    inspector = sa.inspect(connection)
    duckdb_types = {
        (schema, table, column): data_type
        for schema, table, column, data_type in connection.exec_driver_sql(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
        )
    }
    tables = columns = 0
    listed = set()
    for schema in SCHEMAS:
        names = inspector.get_table_names(schema=schema)
        listed |= {f"{schema}.{table}" for table in names}
        if not names:
            problems.append(f"{schema}: no tables in the published copy (is it published from a passing build?)")
        for table in names:
            key = f"{schema}.{table}"
            contract = contracts.get(key)
            if contract is None:
                problems.append(f"{key}: in the published copy, but no enforced contract in dbt's build_manifest.json")
                continue
            with warnings.catch_warnings():  # "Did not recognize type ...": reported below as one line
                warnings.simplefilter("ignore", sa.exc.SAWarning)
                reflected = {column["name"]: column["type"] for column in inspector.get_columns(table, schema=schema)}
            tables += 1
            columns += len(reflected)
            expected = {column.name: column.data_type for column in contract}
            for name, data_type in expected.items():
                if name not in reflected:
                    problems.append(f"{key}.{name}: in the contract, missing from the published copy")
                    continue
                problem = _type_problem(data_type, reflected[name], duckdb_types.get((schema, table, name)))
                if problem:
                    problems.append(f"{key}.{name}: {problem}")
            for name in [name for name in reflected if name not in expected]:
                problems.append(f"{key}.{name}: in the published copy, not in the contract")
    for key in sorted(contracts.keys() - listed):
        problems.append(f"{key}: contracted in dbt, missing from the published copy")
    return tables, columns


def _type_problem(contract_type: str, reflected: sa.types.TypeEngine, duckdb_type: str | None) -> str | None:
    """Why a column's types do not match its contract, or None when they do."""
    known = CONTRACT_TYPES.get(contract_type.lower().split("(")[0].strip())
    if known is None:
        return f"contract type {contract_type!r} unknown to the BI check: add it to CONTRACT_TYPES in bi/check.py"
    want_duckdb, want_sqlalchemy = known
    if isinstance(reflected, sa.types.NullType):
        return f"SQLAlchemy reflects an unknown type (DuckDB {duckdb_type}): BI tools would not know the column"
    if not isinstance(reflected, want_sqlalchemy):
        return f"contract says {contract_type}, SQLAlchemy reflects {reflected!r} (want {want_sqlalchemy.__name__})"
    if duckdb_type != want_duckdb:
        return f"contract says {contract_type} ({want_duckdb}), the published copy has {duckdb_type}"
    return None


def analyst_queries(connection: Connection, problems: list[str]) -> list[str]:
    """Three questions an analyst asks first; returns one line of findings per question."""
    findings = []
    standings = connection.execute(
        sa.text(
            "select season, round, position, driver_code, points from marts.driver_standings "
            "qualify round = max(round) over (partition by season) order by season desc, position limit 3"
        )
    ).all()
    if not standings or standings[0].position != 1:
        problems.append("driver standings after the last round: no leader (marts.driver_standings is empty?)")
    else:
        leader = standings[0]
        findings.append(
            f"standings: {leader.season} after round {leader.round}, {leader.driver_code} leads on {leader.points:g}"
        )
    winners = connection.execute(
        sa.text(
            "select season, round_number, count(*) filter (where race_position = 1) as winners "
            "from marts.grand_prix_results group by season, round_number"
        )
    ).all()
    wrong = [f"{row.season} round {row.round_number}" for row in winners if row.winners != 1]
    if not winners or wrong:
        problems.append(f"race winners: not exactly one winner per Grand Prix ({', '.join(wrong) or 'no races'})")
    else:
        findings.append(f"winners: one per Grand Prix, {len(winners)} races")
    stops = connection.execute(
        sa.text(
            "select team_name, count(*) as stops, median(stop_duration_s) as median_stop_s from marts.fct_pit_stops "
            "where session_type = 'Race' group by team_name order by stops desc, team_name"
        )
    ).all()
    if not stops:
        problems.append("pit stops per team: no race pit stops in marts.fct_pit_stops")
    else:
        findings.append(f"pit stops per team: {len(stops)} teams, {sum(row.stops for row in stops)} race stops")
    return findings


def read_with_duckdb14(
    published: Path, expected: dict[str, list[int]], published_at: str | None, problems: list[str]
) -> str:
    """Read every table with DuckDB 1.4 (a subprocess); its rows must equal what DuckDB 1.5 read from the same
    publish (``published_at``: a build beside the check may swap a new copy in between the two reads)."""
    venv = Path(sys.prefix)
    result = subprocess.run(
        [sys.executable, "-m", "bi.read_tables", str(published)],
        capture_output=True,
        text=True,
        env=environment.duckdb14_environment(venv),
        cwd=environment.ROOT,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        problems.append(lines[-1] if lines else f"DuckDB 1.4 reader: exit {result.returncode}")
        return "DuckDB 1.4: could not read the copy"
    read = json.loads(result.stdout)
    if not read["duckdb"].startswith("1.4."):
        problems.append(f"the DuckDB 1.4 reader ran DuckDB {read['duckdb']}: is {venv}/duckdb-1.4 installed?")
    rows = sum(rows for rows, _ in read["tables"].values())
    done = f"DuckDB {read['duckdb']}: read all {len(read['tables'])} tables ({rows:,} rows)"
    if read["published_at"] != published_at:
        return f"{done} of a copy published since ({read['published_at']}): not compared with 1.5's"
    for key in sorted(expected.keys() | read["tables"].keys()):
        if read["tables"].get(key) != expected.get(key):
            problems.append(f"{key}: DuckDB {read['duckdb']} reads {read['tables'].get(key)}, 1.5 {expected.get(key)}")
    return f"{done}, the same as 1.5"


def run_check(published: Path, dbt_target: Path) -> list[str]:
    """Run every check; print progress and the summary; return the problems."""
    if not published.is_file():
        raise CheckError(f"no published copy at {published}: run make build (or make publish) first")
    contracts = load_contracts(dbt_target)
    problems: list[str] = []
    print(f"BI check on {published} (read-only, as a BI tool opens it)")
    engine = sa.create_engine(url(published))
    try:
        with engine.connect() as connection:
            tables, columns = check_columns(connection, contracts, problems)
            print(
                f"  SQLAlchemy {sa.__version__} + duckdb-engine {duckdb_engine.__version__} on DuckDB "
                f"{duckdb.__version__}: {tables} tables, {columns} columns reflected against their dbt contracts"
            )
            for finding in analyst_queries(connection, problems):
                print(f"  {finding}")

            def run(sql: str) -> list[sa.Row]:
                return connection.exec_driver_sql(sql).all()

            digests, published_at = read_tables.table_digests(run), read_tables.published_at(run)
    finally:
        engine.dispose()
    print(f"  {read_with_duckdb14(published, digests, published_at, problems)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bi.check", description=__doc__.splitlines()[0])
    parser.add_argument("published", type=Path, help="the published DuckDB copy (make's PUBLISHED)")
    target_help = "the build's dbt target dir (build_manifest.json)"
    parser.add_argument("--dbt-target", type=Path, required=True, help=target_help)
    args = parser.parse_args(argv)
    try:
        problems = run_check(args.published, args.dbt_target)
    except CheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (sa.exc.DBAPIError, duckdb.Error) as error:
        first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        if "version number" in first:  # a file DuckDB 2.0 wrote: the working warehouse, not the published copy
            first += " (open the published copy, which make build/make publish write for DuckDB 1.x)"
        print(f"error: SQLAlchemy/DuckDB {duckdb.__version__} on {args.published}: {first}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"  problem: {problem}")
    if problems:
        print(f"BI check failed: {len(problems)} problem(s) above")
        return 1
    print("BI check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
