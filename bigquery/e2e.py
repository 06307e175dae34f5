"""BigQuery end to end on a local emulator: ``python -m bigquery.e2e SNAPSHOT [--telemetry]``.

Proves the scale-out target runs, not only that it parses. With the BigQuery emulator (``bigquery/emulator.py``)
started on a free 127.0.0.1 port, it

1. loads the snapshot into it with the project's dlt pipeline (``--destination bigquery``), while a DuckDB
   reference warehouse of the same snapshot builds beside it (or ``--reference FILE`` names one);
2. runs ``dbt build --target bigquery``: every seed, model, data test and unit test;
3. checks the SQL dbt compiled and ran for BigQuery for DuckDB-only constructs the emulator forgives
   (``bigquery/sql_check.py``), and that partition_by / cluster_by configured on a model reached its DDL;
4. runs ``dbt build --target bigquery`` again: the incremental models merge into the tables the first run
   created (with what depends on them and their data tests; the unit tests, which read only their given rows,
   ran in step 2; ``--full-second-build`` rebuilds and tests everything);
5. compares the row count of every model, seed and raw table with the DuckDB build's;

and stops the emulator, whatever happened. It is generic over the project: whatever the manifest holds is
built, tested and counted. Exit 0 when all of it passed; otherwise an ``error:`` line naming the step.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigquery import sql_check
from bigquery.emulator import EmulatorError, Running, running_emulator

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RAW_DATASET = "raw_openf1"
DBT_BUILD_FLAGS = ["--warn-error-options", '{"error": ["NoNodesForSelectionCriteria"]}']


class E2EError(RuntimeError):
    """A step failed; the message is the one line to print."""


def say(line: str) -> None:
    print(line, flush=True)


@contextmanager
def step(label: str) -> Iterator[dict[str, str]]:
    """Print ``label``, run the block, print how long it took and what it reported in ``result['note']``."""
    result: dict[str, str] = {}
    say(f"{label} ...")
    started = time.monotonic()
    yield result
    say(f"  {result.get('note', 'done')} ({time.monotonic() - started:.0f} s)")


@dataclass
class Work:
    """The run's scratch folder (under warehouse/, git-ignored) and what lives in it."""

    root: Path

    @property
    def bigquery_target(self) -> Path:
        return self.root / "target-bigquery"

    @property
    def duckdb_target(self) -> Path:
        return self.root / "target-duckdb"

    @property
    def duckdb_warehouse(self) -> Path:
        return self.root / "reference.duckdb"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def _base_environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # the caller's warehouse, dbt paths (the Makefile exports them) and Google settings stay out
        if not k.startswith(("DBT_", "OPENF1_WAREHOUSE", "BIGQUERY_", "GOOGLE_", "DESTINATION__", "NORMALIZE__"))
    }
    env.update(
        DBT_PROFILES_DIR=str(ROOT),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
        # google-cloud-bigquery warns on every client that its optional Storage API package is absent.
        PYTHONWARNINGS="ignore:Cannot create BigQuery Storage client:UserWarning",
    )
    return env


_CHILDREN: set[subprocess.Popen[bytes]] = set()


def _run(command: list[str], env: dict[str, str], log: Path, failure: str) -> str:
    """Run a command from the repo root, its output to ``log``; raise E2EError(failure) if it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _CHILDREN.add(process)
        try:
            code = process.wait()
        finally:
            _CHILDREN.discard(process)
    text = log.read_text(errors="replace")
    if code != 0:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        last = next((line for line in reversed(lines) if line.startswith("error")), lines[-1] if lines else "")
        raise E2EError(f"{failure}: {last.strip()[:300]} (log: {_shown(log)})")
    return text


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _stop_children() -> None:
    """Stop commands still running (the DuckDB reference build when a BigQuery step failed first)."""
    for process in list(_CHILDREN):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def load(snapshot: Path, destination: str, env: dict[str, str], log: Path, telemetry: bool, extra: list[str]) -> str:
    command = [str(BIN / "python"), "-m", "dlt_pipelines.pipeline", "--source", str(snapshot)]
    command += ["--destination", destination, "--quiet", *extra]
    if telemetry:
        command.append("--telemetry")
    output = _run(command, env, log, f"loading {snapshot} into {destination} failed")
    return next((line for line in output.splitlines() if line.startswith("Loaded into")), "loaded")


def dbt(args: list[str], target_path: Path, env: dict[str, str], log: Path, failure: str, quiet: bool = False) -> str:
    env = {**env, "DBT_TARGET_PATH": str(target_path), "DBT_LOG_PATH": str(target_path / "logs")}
    command = [str(BIN / "dbt"), *args, *DBT_BUILD_FLAGS]
    try:
        output = _run(command, env, log, failure)
    except E2EError as error:
        failures = _failed_nodes(target_path)
        if failures:
            for line in failures[: 0 if quiet else 8]:
                say(f"    {line}")
            more = f" and {len(failures) - 8} more" if len(failures) > 8 else ""
            raise E2EError(f"{failure}: {len(failures)} nodes failed{more} (log: {_shown(log)})") from error
        raise
    return next((line.split("  ", 1)[-1].strip() for line in output.splitlines() if "Done. PASS=" in line), "done")


def _failed_nodes(target_path: Path) -> list[str]:
    """'model.openf1.fct_laps: <first line of the error>' for each failed node of the last dbt run."""
    try:
        results = json.loads((target_path / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []
    failed = []
    for result in results:
        if result.get("status") in {"error", "fail", "runtime error"}:
            message = (result.get("message") or "").strip().splitlines()
            first = next((m.strip() for m in message[1:] if m.strip()), message[0] if message else "")
            failed.append(f"{result['unique_id']}: {first[:160]}")
    return failed


def _manifest(target_path: Path) -> dict[str, Any]:
    return json.loads((target_path / "manifest.json").read_text())


def relations(manifest: dict[str, Any]) -> dict[str, str]:
    """unique_id -> relation name (as the warehouse quotes it) of every model that is a table or view."""
    nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in {"model", "seed"} and node["config"].get("materialized") != "ephemeral"
    }
    return {uid: node["relation_name"] for uid, node in nodes.items() if node.get("relation_name")}


def bookkeeping_models(manifest: dict[str, Any]) -> set[str]:
    """Models that read only dlt's bookkeeping (stg_openf1__loads reads _dlt_loads): one row per load, and the
    two warehouses are loaded a different number of times, so their counts are not compared (as raw_tables)."""
    bookkeeping = {uid for uid, source in manifest["sources"].items() if source["identifier"].startswith("_dlt")}
    return {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["depends_on"]["nodes"]
        and set(node["depends_on"]["nodes"]) <= bookkeeping
    }


def raw_tables(manifest: dict[str, Any]) -> dict[str, str]:
    """source unique_id -> identifier of every raw table the project reads (not dlt's own bookkeeping, such as
    _dlt_loads: one row per load, and the two warehouses are loaded a different number of times)."""
    return {
        uid: source["identifier"]
        for uid, source in manifest["sources"].items()
        if not source["identifier"].startswith("_dlt")
    }


def incremental_models(manifest: dict[str, Any]) -> list[str]:
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    )


def unsupported_strategies(manifest: dict[str, Any]) -> list[str]:
    """Incremental models whose strategy the emulator cannot run (insert_overwrite)."""
    return sorted(
        f"{node['name']} ({node['config'].get('incremental_strategy')})"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("materialized") == "incremental"
        and node["config"].get("incremental_strategy") == "insert_overwrite"
    )


class BigQueryCounts:
    """Row counts in the emulator, through the same client library the loader and dbt use."""

    def __init__(self, running: Running) -> None:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        self.project = running.project
        self.client = bigquery.Client(
            project=running.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=running.url),
        )

    def tables(self, dataset: str) -> set[str]:
        from google.api_core.exceptions import NotFound

        try:
            return {table.table_id for table in self.client.list_tables(f"{self.project}.{dataset}")}
        except NotFound:
            return set()

    def counts(self, names: dict[str, str]) -> dict[str, int]:
        return _union_counts(names, lambda sql: [tuple(row.values()) for row in self.client.query(sql).result()])


class DuckDBCounts:
    def __init__(self, path: Path) -> None:
        import duckdb

        self.connection = duckdb.connect(str(path), read_only=True)

    def tables(self, schema: str) -> set[str]:
        rows = self.connection.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
        return {row[0] for row in rows}

    def counts(self, names: dict[str, str]) -> dict[str, int]:
        return _union_counts(names, lambda sql: self.connection.execute(sql).fetchall())

    def close(self) -> None:
        self.connection.close()


def _union_counts(names: dict[str, str], query: Any, chunk: int = 40) -> dict[str, int]:
    """``{key: count(*) of names[key]}`` in a few union-all queries (one round trip per ``chunk`` tables)."""
    counts: dict[str, int] = {}
    keys = sorted(names)
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        sql = "\nunion all\n".join(f"select '{key}' as node, count(*) as row_count from {names[key]}" for key in part)
        counts.update({str(node): int(n) for node, n in query(sql)})
    return counts


def compare_counts(bigquery: dict[str, int], duckdb: dict[str, int]) -> list[str]:
    """One line per relation whose counts differ or that exists on one side only."""
    lines = []
    for key in sorted(set(bigquery) | set(duckdb)):
        left, right = bigquery.get(key), duckdb.get(key)
        if left != right:
            shown = ["missing" if n is None else f"{n:,}" for n in (left, right)]
            lines.append(f"{key}: BigQuery {shown[0]}, DuckDB {shown[1]}")
    return lines


def check_layout(manifest: dict[str, Any], target_path: Path) -> tuple[int, list[str]]:
    """Models configured with partition_by / cluster_by: the DDL dbt ran for them on BigQuery says so.

    Read from the SQL dbt ran (``run/``) after the first build, which created every table: bqemulator accepts
    PARTITION BY / CLUSTER BY but does not report range partitioning or clustering through the tables API.
    """
    checked, problems = 0, []
    for node in manifest["nodes"].values():
        config = node["config"]
        if node["resource_type"] != "model" or not (config.get("partition_by") or config.get("cluster_by")):
            continue
        checked += 1
        path = target_path / "run" / node["package_name"] / node["original_file_path"]
        ddl = sql_check.code_only(path.read_text(errors="replace")).lower() if path.exists() else ""
        field = (config.get("partition_by") or {}).get("field")
        wrapped = r"(?:(?:range_bucket|date|timestamp_trunc|datetime_trunc|date_trunc)\s*\(\s*)?"
        if field and not re.search(rf"\bpartition\s+by\s+{wrapped}{re.escape(field.lower())}\b", ddl):
            problems.append(f"{node['name']}: no PARTITION BY ... {field} in {_shown(path)}")
        cluster = config.get("cluster_by") or []
        cluster = [cluster] if isinstance(cluster, str) else list(cluster)
        pattern = r"\s*,\s*".join(re.escape(column.lower()) for column in cluster)
        if cluster and not re.search(rf"\bcluster\s+by\s+{pattern}\b", ddl):
            problems.append(f"{node['name']}: no CLUSTER BY {', '.join(cluster)} in {_shown(path)}")
    return checked, problems


def check_sql(target_path: Path) -> int:
    """Fail on DuckDB-only SQL in what dbt compiled and ran for BigQuery; the number of files checked."""
    findings = sql_check.check_target(target_path) + sql_check.check_project(ROOT)
    if findings:
        say(sql_check.report(findings, base=ROOT))
        raise E2EError(f"{len(findings)} DuckDB-only constructs in the SQL compiled for BigQuery (listed above)")
    files = {
        path.relative_to(target_path / folder)
        for folder in ("run", "compiled")
        for path in (target_path / folder).rglob("*.sql")
    }
    return len(files)


def reference_build(snapshot: Path, work: Work, telemetry: bool, results: dict[str, Any]) -> None:
    """Load the snapshot into a fresh DuckDB file and build the models (no tests: they run on BigQuery)."""
    try:
        env = {**_base_environment(), "OPENF1_WAREHOUSE": str(work.duckdb_warehouse)}
        results["load"] = load(
            snapshot,
            "duckdb",
            env,
            work.logs / "load-duckdb.log",
            telemetry,
            ["--warehouse", str(work.duckdb_warehouse)],
        )
        results["build"] = dbt(
            ["build", "--target", "dev", "--exclude-resource-type", "test", "unit_test"],
            work.duckdb_target,
            env,
            work.logs / "dbt-duckdb.log",
            "the DuckDB reference build failed",
            quiet=True,  # it runs beside the BigQuery steps: its error is told when they join
        )
    except E2EError as error:
        results["error"] = error


def run(args: argparse.Namespace) -> None:
    snapshot = args.snapshot.resolve()
    if not snapshot.is_dir():
        raise E2EError(f"{args.snapshot} is not a snapshot folder")
    work = Work(args.workdir.resolve())
    shutil.rmtree(work.root, ignore_errors=True)  # the emulator starts empty: so must dlt's local state
    work.logs.mkdir(parents=True)
    say(f"BigQuery end-to-end test on the emulator: snapshot {_shown(snapshot)}, work folder {_shown(work.root)}")

    reference = args.reference.resolve() if args.reference else None
    reference_results: dict[str, Any] = {}
    reference_thread = None

    with running_emulator(work.root / "emulator", say=lambda line: say(f"  {line}")) as running:
        env = {**_base_environment(), **running.client_environment()}
        env["OPENF1_PIPELINES_DIR"] = str(work.root / "dlt")

        if reference is None:
            # The DuckDB reference builds beside the BigQuery steps: the single-threaded emulator leaves a core.
            reference = work.duckdb_warehouse
            reference_thread = threading.Thread(
                target=reference_build, args=(snapshot, work, args.telemetry, reference_results), daemon=True
            )
            reference_thread.start()
        elif not reference.exists():
            raise E2EError(f"--reference {args.reference} does not exist")

        with step("[1/5] load the snapshot into BigQuery with dlt") as note:
            note["note"] = load(snapshot, "bigquery", env, work.logs / "load-bigquery.log", args.telemetry, [])

        build = ["build", "--target", "bigquery"]
        with step("[2/5] dbt build --target bigquery (first run: creates every table)") as note:
            try:
                note["note"] = dbt(
                    build, work.bigquery_target, env, work.logs / "dbt-bigquery-1.log", "dbt build on BigQuery failed"
                )
            except E2EError:
                blocked = unsupported_strategies(_manifest(work.bigquery_target))
                if blocked:  # the likely cause, in words
                    raise E2EError(
                        f"incremental_strategy insert_overwrite does not run on the emulator ({', '.join(blocked)}): "
                        "use merge"
                    ) from None
                findings = sql_check.check_target(work.bigquery_target)
                if findings:  # DuckDB-only SQL is the usual cause: say where it is
                    say("  DuckDB-only SQL in what dbt compiled for BigQuery (bigquery/sql_check.py):")
                    say(sql_check.report(findings, per_rule=3, base=ROOT))
                raise
        manifest = _manifest(work.bigquery_target)

        with step("[3/5] BigQuery SQL check: no DuckDB-only SQL; partitioning and clustering as configured") as note:
            files = check_sql(work.bigquery_target)
            checked, problems = check_layout(manifest, work.bigquery_target)
            if problems:
                for line in problems:
                    say(f"    {line}")
                raise E2EError(f"{len(problems)} tables are not partitioned/clustered as configured (listed above)")
            note["note"] = f"{files} compiled nodes clean; {checked} partitioned/clustered models as configured"

        incremental = incremental_models(manifest)
        if args.full_second_build:
            again, scope = build, "every node"
        else:  # what a second run can change: the incremental models, what depends on them, their data tests
            # (unit tests read only their given rows: the first build ran every one of them)
            again = [*build, "--select", "config.materialized:incremental+", "--exclude-resource-type", "unit_test"]
            scope = "incremental models and downstream, data tests"
        with step(
            f"[4/5] dbt build --target bigquery again: merges into {len(incremental)} incremental models"
        ) as note:
            if not incremental and not args.full_second_build:
                note["note"] = "skipped: no incremental models"
            else:
                reloaded = ""
                if args.telemetry:  # appended, older rows deleted; the staging tables then merge that session again
                    fresh = ["--endpoints", "car_data,location", "--session", "latest", "--full-refresh"]
                    load(snapshot, "bigquery", env, work.logs / "reload-telemetry-bigquery.log", True, fresh)
                    reloaded = "after loading the latest session's telemetry again; "
                result = dbt(
                    again, work.bigquery_target, env, work.logs / "dbt-bigquery-2.log", "the second dbt build failed"
                )
                check_sql(work.bigquery_target)  # the MERGE statements and what the second run compiled
                note["note"] = f"{result} ({reloaded}{scope}: {', '.join(incremental)})"

        with step("[5/5] row counts: BigQuery equals DuckDB for every model, seed and raw table") as note:
            if reference_thread is not None:
                reference_thread.join()
                if "error" in reference_results:
                    raise reference_results["error"]
            bigquery = BigQueryCounts(running)
            duck = DuckDBCounts(reference)
            try:
                skipped = bookkeeping_models(manifest)
                models_bq = {uid: name for uid, name in relations(manifest).items() if uid not in skipped}
                # the same relations in the DuckDB file (schemas are named alike on both targets)
                models_duck = {
                    uid: f'"{manifest["nodes"][uid]["schema"]}"."{manifest["nodes"][uid]["alias"]}"'
                    for uid in models_bq
                }
                sources = raw_tables(manifest)
                in_bq, in_duck = bigquery.tables(RAW_DATASET), duck.tables(RAW_DATASET)
                raw_bq = {
                    uid: f"`{running.project}`.`{RAW_DATASET}`.`{name}`"
                    for uid, name in sources.items()
                    if name in in_bq
                }
                raw_duck = {uid: f'"{RAW_DATASET}"."{name}"' for uid, name in sources.items() if name in in_duck}
                in_duckdb = duck.counts({**models_duck, **raw_duck})
                differences = compare_counts(bigquery.counts({**models_bq, **raw_bq}), in_duckdb)
                marts = {
                    uid: n
                    for uid, n in in_duckdb.items()
                    if uid in manifest["nodes"] and manifest["nodes"][uid]["schema"] in {"marts", "features"}
                }
            finally:
                duck.close()
            if differences:
                for line in differences[:20]:
                    say(f"    {line}")
                raise E2EError(f"{len(differences)} relations have different row counts on BigQuery and DuckDB")
            empty = sorted(manifest["nodes"][uid]["name"] for uid, n in marts.items() if n == 0)
            note["note"] = (
                f"{len(models_bq)} models/seeds and {len(raw_bq)} raw tables match; "
                f"{len(marts)} marts/features hold {sum(marts.values()):,} rows"
                + (f" (empty on this snapshot: {', '.join(empty)})" if empty else "")
            )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bigquery.e2e", description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path, help="a snapshot folder (e.g. the simulated sample)")
    parser.add_argument("--telemetry", action="store_true", help="also load car_data and location")
    parser.add_argument(
        "--workdir", type=Path, default=ROOT / "warehouse" / "bigquery-test", help="scratch folder (wiped first)"
    )
    parser.add_argument(
        "--reference",
        type=Path,
        help="a DuckDB warehouse built from the same snapshot and models to compare with (default: build one)",
    )
    parser.add_argument(
        "--full-second-build",
        action="store_true",
        help="build every node the second time (default: the incremental models, their descendants, data tests)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)  # a CI timeout: stop the emulator and the children as Ctrl-C does
    try:
        run(args)
    except (E2EError, EmulatorError) as error:
        _stop_children()
        print(f"error: BigQuery test failed: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        _stop_children()
        print("error: BigQuery test interrupted (the emulator was stopped)", file=sys.stderr)
        return 130
    say(f"BigQuery test passed in {time.monotonic() - started:.0f} s (emulator stopped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
