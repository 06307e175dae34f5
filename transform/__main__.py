"""make transform: ``dbt build`` with its progress as a count, then what the build should tell its user.

    python -m transform --target dev --dbt-target target/warehouse_openf1 [--unit-tests] [--full-refresh] \
        [--built-in warehouse/openf1.duckdb]

In order: the record of the last passing build is removed (make publish refuses until this one passes); dbt parses
the project and lists the raw tables (macros/raw_inventory.sql; none loaded yet: one line saying make load first);
``dbt build`` runs (seeds, models, data tests; unit tests with ``--unit-tests``) with its progress as
one count (in place on a terminal, a few plain lines elsewhere), after an on-run-start hook has dropped what an
interrupted run left (macros/drop_build_leftovers.sql, said in one line). A failed build prints each failing node on
one line and where dbt's log is, and exits 1. A passing build is recorded (transform/record.py), then source
freshness runs on the raw tables that hold rows (writing sources.json; one line only when one is stale), and the
last lines name every variant column of the raw schema with its rows: values dlt kept aside because their type
changed, which every model reads as null.

dbt reads DBT_PROFILES_DIR, DBT_LOG_PATH and OPENF1_WAREHOUSE from the environment (the Makefile exports them).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from dbt_common.events.base_types import EventMsg

from transform import messages
from transform.progress import BuildProgress
from transform.record import forget_passing_build, record_passing_build
from transform.runner import Dbt, DbtFailed, RawTable

INFO_EVENT = "JinjaLogInfo"  # a macro's log(..., info=True): meant for the console (the leftovers' cleanup)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m transform", description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="dev", help="the dbt target (profiles.yml): dev or bigquery")
    parser.add_argument("--unit-tests", action="store_true", help="run dbt's unit tests too")
    parser.add_argument("--full-refresh", action="store_true", help="dbt build --full-refresh")
    parser.add_argument("--built-in", default="", help="where the models land, for the closing line")
    parser.add_argument(
        "--dbt-target",
        type=Path,
        default=Path(os.environ.get("DBT_TARGET_PATH", "target")),
        help="dbt's target folder: its artefacts and the passing build's record (default: $DBT_TARGET_PATH)",
    )
    return parser.parse_args(argv)


def header(args: argparse.Namespace) -> str:
    what = "seeds, models, data tests" + (" and unit tests" if args.unit_tests else "")
    return f"dbt build --target {args.target}: {what}{' (full refresh)' if args.full_refresh else ''} ..."


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = args.dbt_target
    log = str(Path(os.environ.get("DBT_LOG_PATH", "logs")) / "dbt.log")
    raw_schema = os.environ.get("OPENF1_RAW_SCHEMA", "raw_openf1")
    where = args.built_in or "the warehouse"
    print(header(args), flush=True)
    forget_passing_build(target)
    progress = BuildProgress(sys.stdout)

    def on_event(event: EventMsg) -> None:
        if event.info.name == INFO_EVENT:
            progress.say(event.data.msg)

    def on_build_event(event: EventMsg) -> None:
        if event.info.name == "LogStartLine":
            progress.started(event.data.total)
        elif event.info.name == "NodeFinished":
            progress.finished(event.data.run_result.status)

    dbt = Dbt(args.target, target, on_event=on_event)
    try:
        progress.status("reading the project ...")
        dbt.parse()
        progress.status("looking at the raw tables ...")
        inventory = raw_inventory(dbt, log, progress.say)
        if inventory is not None and not inventory:
            progress.close()
            print(f"dbt build: nothing loaded into {raw_schema} of {where}: run make load first (or make build)")
            return 1
        progress.status("starting ...")
        run = dbt.build(unit_tests=args.unit_tests, full_refresh=args.full_refresh, on_event=on_build_event)
    except DbtFailed as error:
        progress.close()
        print(f"dbt build failed: {error}: see {log} (nothing published: readers keep the last good build)")
        return 1
    except KeyboardInterrupt:
        progress.close()
        print("dbt build interrupted: nothing published (the next build cleans up what it left)")
        return 130
    progress.close(ended=True)
    inventory = inventory or []
    if not run.passed:
        failures = run.failures
        for line in messages.failure_lines(failures):
            print(line)
        if run.error and not failures:
            print(f"  {run.error}")
        for line in messages.drift_lines(inventory, raw_schema):
            print(line)
        print(messages.failed_line(len(failures), run.skipped, log))
        return 1
    record_passing_build(target)
    print(f"dbt build passed: models and tests in {where}")
    note = freshness_note(dbt, inventory, raw_schema, log)
    if note:
        print(note)
    for line in messages.drift_lines(inventory, raw_schema):
        print(line)
    return 0


def raw_inventory(dbt: Dbt, log: str, say: Callable[[str], None]) -> list[RawTable] | None:
    """The raw tables and their variant columns; None (with a note) when the inventory itself cannot run."""
    try:
        return dbt.raw_inventory()
    except DbtFailed as error:
        say(f"note: could not list the raw tables and their variant columns ({error}): see {log}")
        return None


def freshness_note(dbt: Dbt, inventory: list[RawTable], raw_schema: str, log: str) -> str:
    """Source freshness of the raw tables holding rows (the others were not loaded: nothing to say about them)."""
    try:
        freshness = dbt.freshness([table.name for table in inventory if table.rows])
    except DbtFailed as error:
        return f"note: source freshness did not run ({error}): see {log}"
    return messages.freshness_note(freshness, raw_schema, log)


if __name__ == "__main__":
    sys.exit(main())
