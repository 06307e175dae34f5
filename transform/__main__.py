"""make transform: ``dbt build`` with its progress as a count, then what the build should tell its user.

    python -m transform --target dev --dbt-target target/warehouse_openf1 [--unit-tests] [--full-refresh] \
        [--built-in warehouse/openf1.duckdb]

First, nothing new, nothing done: when nothing was loaded and the project is unchanged since the last passing
build of this target folder (transform/fingerprint.py), dbt does not run and one line says so. Otherwise, in order:
the record of the last passing build is removed (make publish refuses until this one passes); dbt parses
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
import json
import os
import shutil
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from transform import fingerprint
from transform.record import BUILD_MANIFEST, BUILD_RESULTS, forget_passing_build, record_passing_build

if TYPE_CHECKING:  # dbt's modules take a second or two to import: only once the build runs
    from dbt_common.events.base_types import EventMsg

    from transform.runner import Dbt, RawTable

STATE_FOLDER = "last_passing_build"  # the manifest dbt's state:modified compares with
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


def header(args: argparse.Namespace, modified: bool = False) -> str:
    what = "seeds, models, data tests" + (" and unit tests" if args.unit_tests else "")
    if modified:
        what = "what changed since the last passing build and what depends on it (state:modified+)"
    return f"dbt build --target {args.target}: {what}{' (full refresh)' if args.full_refresh else ''} ..."


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = args.dbt_target
    log = str(Path(os.environ.get("DBT_LOG_PATH", "logs")) / "dbt.log")
    raw_schema = os.environ.get("OPENF1_RAW_SCHEMA", "raw_openf1")
    where = args.built_in or "the warehouse"
    current = build_fingerprint(args)
    scope = fingerprint.what_to_build(current, fingerprint.recorded(target))
    if scope == "nothing":
        print(skipped_line(target))
        return 0
    state = target / STATE_FOLDER
    selection: list[str] = []
    if scope == "modified":  # dbt compares this project with the last passing build's manifest
        shutil.rmtree(state, ignore_errors=True)
        state.mkdir(parents=True)
        shutil.copyfile(target / BUILD_MANIFEST, state / "manifest.json")
        shutil.copyfile(target / BUILD_RESULTS, state / BUILD_RESULTS)
        selection = ["--select", "state:modified+", "--state", str(state)]
    print(header(args, modified=bool(selection)), flush=True)
    forget_passing_build(target)
    fingerprint.forget(target)

    from transform import messages
    from transform.progress import BuildProgress
    from transform.runner import Dbt, DbtFailed

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
        run = dbt.build(args.unit_tests, args.full_refresh, on_build_event, selection=selection)
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
    try:  # before the record: a build whose key checks are not recorded checks those sessions again next time
        dbt.record_passed_key_checks()
    except DbtFailed as error:
        print(f"dbt build: could not record the sessions whose keys passed ({error}): see {log}")
        return 1
    # a build of what changed: the record is the last passing build's, with the nodes this one ran replaced
    record_passing_build(target, previous=state / BUILD_RESULTS if selection else None)
    if current is not None:
        fingerprint.record(target, current)
    print(f"dbt build passed: models and tests in {where}")
    note = freshness_note(dbt, inventory, raw_schema, log)
    if note:
        print(note)
    for line in messages.drift_lines(inventory, raw_schema):
        print(line)
    return 0


def build_fingerprint(args: argparse.Namespace) -> dict[str, str] | None:
    """What this build depends on (transform/fingerprint.py); None when it must run anyway: a full refresh, a
    BigQuery target, a warehouse not readable now."""
    warehouse = os.environ.get("OPENF1_WAREHOUSE", "")
    if args.full_refresh or args.target != "dev" or not warehouse or warehouse == ":memory:":
        return None
    project = Path(os.environ.get("DBT_PROJECT_DIR", ".")).resolve()
    return fingerprint.compute(project, args.target, args.unit_tests, Path(warehouse), version("dbt-core"))


def skipped_line(target: Path) -> str:
    """Why dbt did not run, and how to make it."""
    try:
        finished = json.loads((target / BUILD_RESULTS).read_text(encoding="utf-8"))["metadata"]["generated_at"]
    except (OSError, ValueError, KeyError):
        finished = "?"
    return (
        f"dbt build skipped: nothing loaded and the project unchanged since the last passing build ({finished[:19]} "
        "UTC): its models and tests stand (FULL_REFRESH=1 builds anyway)"
    )


def raw_inventory(dbt: Dbt, log: str, say: Callable[[str], None]) -> list[RawTable] | None:
    """The raw tables and their variant columns; None (with a note) when the inventory itself cannot run."""
    from transform.runner import DbtFailed

    try:
        return dbt.raw_inventory()
    except DbtFailed as error:
        say(f"note: could not list the raw tables and their variant columns ({error}): see {log}")
        return None


def freshness_note(dbt: Dbt, inventory: list[RawTable], raw_schema: str, log: str) -> str:
    """Source freshness of the raw tables holding rows (the others were not loaded: nothing to say about them)."""
    from transform import messages
    from transform.runner import DbtFailed

    try:
        freshness = dbt.freshness([table.name for table in inventory if table.rows])
    except DbtFailed as error:
        return f"note: source freshness did not run ({error}): see {log}"
    return messages.freshness_note(freshness, raw_schema, log)


if __name__ == "__main__":
    sys.exit(main())
