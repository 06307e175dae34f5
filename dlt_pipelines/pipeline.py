"""Load OpenF1 into the warehouse's ``raw_openf1`` schema: ``python -m dlt_pipelines.pipeline --help``.

The command line of the loader: scope, source, destination, progress and a one-screen summary. Each meeting's
sessions load in one dlt run (the first also loads the meetings and sessions tables), so a run that dies keeps
every meeting it finished and the next run picks up from there (dlt's state in the destination remembers what
is final).
Each endpoint but telemetry takes one request per meeting (``source.endpoint_resource``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

from dlt_pipelines import origin, refetch, scope, unchanged, warehouse
from dlt_pipelines.openf1 import catalogue, openf1_source, supersede, telemetry
from dlt_pipelines.openf1.source import LoadContext
from dlt_pipelines.openf1.state import Due, LoadLedger
from dlt_pipelines.progress import RunProgress
from openf1_api import OpenF1Client, OpenF1Error, RateLimiter, RetryPolicy

DATASET = "raw_openf1"
PIPELINE_NAME = "openf1"
LOCAL_BATCH_SESSIONS = 150  # about a season: each dlt run costs a few seconds of its own
# DuckDB: Parquet files load with one COPY each, far faster than INSERT statements. BigQuery: dlt's own
# choice (JSONL for records: BigQuery cannot load JSON columns from Parquet; Parquet for Arrow telemetry).
LOADER_FILE_FORMATS = {"duckdb": "parquet", "bigquery": None}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, naming the fix
        self.exit(2, f"error: {message} (see: python -m dlt_pipelines.pipeline --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dlt_pipelines.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="live", help="'live', an http(s)://…/v1 base URL, or a snapshot folder")
    parser.add_argument("--season", help="a year (2023 on)")
    parser.add_argument("--meeting", help="a meeting_key or 'latest'")
    parser.add_argument("--session", help="a session_key or 'latest'")
    parser.add_argument("--endpoints", help="comma-separated subset of endpoints (default: all but telemetry)")
    parser.add_argument("--telemetry", action="store_true", help="also load car_data and location")
    parser.add_argument("--full-refresh", action="store_true", help="fetch again sessions already loaded for good")
    parser.add_argument(
        "--refresh-results",
        action="store_true",
        help=f"fetch the results ({', '.join(catalogue.AMENDABLE)}) again for every session in scope, even "
        "sessions loaded for good: results amended after the race; other endpoints keep their rule",
    )
    parser.add_argument(
        "--results-window-days",
        default=None,
        metavar="DAYS",
        help=f"fetch a session's results again on every run until DAYS after it ended (default "
        f"${refetch.RESULTS_WINDOW_ENV} or {refetch.RESULTS_WINDOW_DAYS:g}; 0: only until it settles)",
    )
    parser.add_argument("--destination", choices=("duckdb", "bigquery"), default="duckdb")
    parser.add_argument("--warehouse", default="warehouse/openf1.duckdb", help="the DuckDB file (duckdb only)")
    parser.add_argument(
        "--settle-hours",
        type=float,
        default=3.0,
        help="a session loaded this long after its end is final and not fetched again (its results: after "
        "--results-window-days)",
    )
    parser.add_argument(
        "--batch-sessions",
        type=int,
        default=None,
        help="sessions per dlt run (the unit a crash can lose); default: one meeting live, ~150 sessions locally",
    )
    parser.add_argument(
        "--rate-limit",
        default=None,
        help="client-side limit as REQUESTS/SECONDS (default 30/10, OpenF1's free tier; off for local replay)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer before retrying")
    parser.add_argument(
        "--telemetry-window-minutes",
        type=float,
        default=None,
        help="telemetry request window (default 10 for remote APIs, whole session for local replay)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    return parser


def make_pipeline(destination: str, warehouse_file: str) -> dlt.Pipeline:
    if destination == "duckdb":
        path = Path(warehouse_file)
        pipelines_dir = warehouse.working_folder(path)
        target = dlt.destinations.duckdb(str(path))
    else:
        pipelines_dir = Path(os.environ.get("OPENF1_PIPELINES_DIR", "warehouse/.dlt/bigquery"))
        _bigquery_environment()
        target = dlt.destinations.bigquery()
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=str(pipelines_dir),
        destination=target,
        dataset_name=DATASET,
    )


def _bigquery_environment() -> None:
    """dlt reads the variables dbt's ``bigquery`` target reads (profiles.yml; README, "BigQuery"), so one
    environment drives both; dlt's own DESTINATION__BIGQUERY__* settings win where set. Credentials are
    Google's application default credentials: GOOGLE_APPLICATION_CREDENTIALS, BIGQUERY_KEYFILE or gcloud's."""
    env = os.environ
    env.setdefault("DESTINATION__BIGQUERY__LOCATION", env.get("BIGQUERY_LOCATION") or "EU")
    if env.get("BIGQUERY_PROJECT"):
        env.setdefault("DESTINATION__BIGQUERY__CREDENTIALS__PROJECT_ID", env["BIGQUERY_PROJECT"])
    if env.get("BIGQUERY_KEYFILE"):
        env.setdefault("GOOGLE_APPLICATION_CREDENTIALS", env["BIGQUERY_KEYFILE"])


def _configure_dlt() -> None:
    # Two extract workers: telemetry's two resources run side by side, their answers fetched and parsed by the
    # telemetry workers they share (telemetry.SharedWorkers, 3 by default: at most three ~100 MB answers in memory).
    os.environ.setdefault("EXTRACT__WORKERS", "2")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    # dlt's extract threads look pandas up in sys.modules for every item; one thread importing it (lazily, from a
    # library) while another looks finds it half-initialised and the load dies ("partially initialized module
    # 'pandas' has no attribute 'DataFrame'", seen on a busy machine): import it whole before any thread starts
    importlib.import_module("pandas")


def run(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    started = time.monotonic()
    telemetry.worker_count()  # a bad OPENF1_TELEMETRY_WORKERS is an error before anything is fetched
    results_window = refetch.results_window(args.results_window_days)  # and so is a bad amendment window
    _configure_dlt()
    selected = scope.parse_scope(args.season, args.meeting, args.session, args.endpoints, args.telemetry)
    if args.destination == "duckdb":  # a folder it cannot write in, or a file another process holds: stop now
        warehouse.prepare(Path(args.warehouse))
    progress = RunProgress(quiet=args.quiet)
    with origin.open_origin(args.source) as source:
        client = OpenF1Client(
            source.base_url,
            rate_limit=_rate_limiter(args.rate_limit, source.is_local),
            retry=RetryPolicy(timeout_s=args.timeout),
            source_label=source.label,
            unreachable_fix="check the network, or load offline with SOURCE=sample or a snapshot folder",
        )
        meetings, sessions = scope.discover(client, selected, source.label)
        progress.say(
            f"Loading {scope.describe(selected)} from {source.label}: {len(meetings)} meetings, "
            f"{len(sessions)} sessions, endpoints {', '.join(selected.endpoints)}"
        )
        pipeline = make_pipeline(args.destination, args.warehouse)
        pipeline.sync_destination()
        # a run that died before its cleanup below left it to this one, for sessions this one may not load again
        cleanup_pending = Path(pipeline.working_dir) / "supersede-pending"
        finished_earlier = _finish_interrupted_load(pipeline, progress) or cleanup_pending.exists()
        cleanup_pending.touch()
        ledger = LoadLedger.from_pipeline_state(
            pipeline.state, settle=timedelta(hours=args.settle_hours), results_window=results_window
        )
        policy = refetch.FetchPolicy(ledger, args.full_refresh, args.refresh_results)
        window = _telemetry_window(args.telemetry_window_minutes, source.is_local)
        children = [e for e in selected.endpoints if catalogue.ENDPOINTS[e].per_session]
        file_format = os.environ.get("OPENF1_LOADER_FILE_FORMAT") or LOADER_FILE_FORMATS[args.destination]

        context = LoadContext(
            client=client,
            ledger=ledger,
            wanted=lambda session, endpoint: policy.due(session, endpoint) is not None,
            progress=progress,
            # the Parquet files dlt imports, beside the load packages so dlt hard-links them instead of copying
            scratch=Path(pipeline.working_dir) / "import-files",
            telemetry_window=window,
            json_as_text=args.destination == "duckdb" and file_format == "parquet",
        )

        def load(due: list[dict[str, Any]], parents: bool) -> None:
            """One dlt run: the children of the ``due`` sessions, and the parent tables with the first."""
            shutil.rmtree(context.scratch, ignore_errors=True)
            context.scratch.mkdir(parents=True)
            info = pipeline.run(
                openf1_source(context, meetings, sessions, children if due else [], parents, due),
                loader_file_format=file_format,
            )
            shutil.rmtree(context.scratch, ignore_errors=True)
            progress.rows.update(_row_counts(pipeline))
            info.raise_on_failed_jobs()

        meter = None if args.quiet else progress.measure(lambda: client.requests_sent - client.retries)
        by_meeting: dict[int, list[dict[str, Any]]] = defaultdict(list)
        asked: dict[int, set[str]] = defaultdict(set)  # light endpoints a session of the meeting already asks for
        for session in sessions:
            if session.get("is_cancelled"):
                continue
            dues = {e: policy.due(session, e) for e in children}
            todo = {e for e, due in dues.items() if due is not None}
            if not todo:
                progress.skipped_sessions += 1
                continue
            again = policy.results_again(dues)
            if again is not None:
                progress.results_again[again] += 1
            meeting = session.get("meeting_key")
            shared = frozenset(asked[meeting] & todo) if meeting is not None else frozenset()
            progress.expect(session, todo, window, _note(todo, again, results_window), shared)
            if meeting is not None:
                asked[meeting].update(e for e in todo if not catalogue.ENDPOINTS[e].telemetry)
            by_meeting[session["meeting_key"]].append(session)
        for count, why in refetch.results_again_reasons(progress.results_again, results_window):
            progress.say(f"Fetching the results ({', '.join(catalogue.AMENDABLE)}) again for {count} sessions {why}")
        names = {m["meeting_key"]: m.get("meeting_name", "?") for m in meetings}
        batches = _batches(
            list(by_meeting.items()), args.batch_sessions or (LOCAL_BATCH_SESSIONS if source.is_local else 1)
        )
        if meter is not None and meter.total:
            due_sessions = sum(len(rows) for rows in by_meeting.values())
            progress.say(f"Fetching {due_sessions} sessions: {meter.describe_plan()}")
            meter.start()
        try:
            if not batches:  # nothing due: the parent tables alone (they merge on every run)
                load([], parents=True)
            for number, batch in enumerate(batches, start=1):
                label = ", ".join(f"{names.get(key, '?')} ({key})" for key, _ in batch)
                progress.say(f"[{number}/{len(batches)}] {label}")
                load([session for _, rows in batch for session in rows], parents=number == 1)
        finally:
            if meter is not None:
                meter.stop()
        # every run, telemetry or not: a run that died before this point left older or half-loaded rows behind
        telemetry_tables = [catalogue.ENDPOINTS[e].table for e in catalogue.TELEMETRY]
        # the sessions whose telemetry this run loaded: only they can have gained a newer load (every session
        # after an earlier run that died before this point: which sessions it loaded is not known here)
        loaded = {
            s["session_key"] for rows in by_meeting.values() for s in rows if set(catalogue.TELEMETRY) & set(children)
        }
        scope_of_cleanup = None if finished_earlier else loaded
        for table, rows in supersede.drop_superseded(pipeline, telemetry_tables, scope_of_cleanup).items():
            progress.say(f"  {table}: {rows:,} rows of earlier loads of the same sessions deleted")
        cleanup_pending.unlink()
        if argv is not None and args.destination == "duckdb":  # the next load of an unchanged snapshot is skipped
            settled = refetch.FetchPolicy(ledger, False, False)
            still_due = any(
                settled.due(session, endpoint) is not None
                for session in sessions
                if not session.get("is_cancelled")
                for endpoint in children
            )
            unchanged.record(argv, still_due)
    _summary(progress, context.dropped, args, client, time.monotonic() - started, results_window)
    return 0


def _note(todo: set[str], again: Due | None, results_window: timedelta) -> str:
    """A session's progress note when its results are fetched again although it is loaded for good."""
    if again is None:
        return ""
    what = "results only" if todo <= set(catalogue.AMENDABLE) else "results again"
    if again is Due.AMENDMENT_WINDOW:
        return f"{what}: inside the {refetch.window_label(results_window)} amendment window"
    return f"{what}: --refresh-results"


def _telemetry_window(minutes: float | None, is_local: bool) -> timedelta | None:
    """OpenF1 aborts queries over a few seconds: ten-minute windows per driver stay well inside. A local
    replay server has no such limit, so one request per driver and session is enough."""
    if minutes is None:
        return None if is_local else timedelta(minutes=10)
    if minutes <= 0:
        raise ValueError(f"--telemetry-window-minutes {minutes}: give a positive number of minutes")
    return timedelta(minutes=minutes)


def _rate_limiter(spec: str | None, is_local: bool) -> RateLimiter:
    if spec is None:
        return RateLimiter(0 if is_local else 30, 10.0)
    count, _, seconds = spec.partition("/")
    try:
        return RateLimiter(int(count), float(seconds or 1))
    except ValueError:
        raise ValueError(f"--rate-limit {spec}: give REQUESTS/SECONDS, e.g. 30/10 (0 turns it off)") from None


def _batches(
    meetings: list[tuple[int, list[dict[str, Any]]]], min_sessions: int
) -> list[list[tuple[int, list[dict[str, Any]]]]]:
    """Whole meetings per dlt run, at least ``min_sessions`` sessions each (the last batch may hold fewer).

    A run is the unit a crash can lose; from the live API one meeting takes a minute to fetch, so each
    meeting is its own run. A local replay server answers in milliseconds and each run costs a second of
    dlt overhead, so several meetings share one.
    """
    batches: list[list[tuple[int, list[dict[str, Any]]]]] = [[]]
    for meeting in meetings:
        if sum(len(rows) for _, rows in batches[-1]) >= min_sessions:
            batches.append([])
        batches[-1].append(meeting)
    return [batch for batch in batches if batch]


def _finish_interrupted_load(pipeline: dlt.Pipeline, progress: RunProgress) -> bool:
    """A run that died after extracting leaves load packages behind: load them now. A package that cannot
    load (its jobs failed for good) is dropped: the sessions in it were never marked as loaded (the ledger
    travels in the same package), so this run fetches them again and the merge replaces their rows (telemetry:
    rows of the dropped package are never read, and are deleted once a newer load completes, see ``supersede``)."""
    if not pipeline.has_pending_data:
        return False
    progress.say("Finishing a load an earlier run left unfinished")
    try:
        pipeline.normalize()
        pipeline.load(raise_on_failed_jobs=True)
    except Exception as error:
        progress.say(f"  could not finish it ({type(error).__name__}); dropping it, its sessions load again")
        pipeline.drop_pending_packages()
    return True


def _row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    if info is None:
        return {}
    return {t: n for t, n in info.row_counts.items() if not t.startswith("_dlt")}


def _summary(
    progress: RunProgress,
    dropped: Counter[str],
    args: argparse.Namespace,
    client: OpenF1Client,
    seconds: float,
    results_window: timedelta,
) -> None:
    where = args.warehouse if args.destination == "duckdb" else f"BigQuery dataset {DATASET}"
    print(
        f"Loaded into {where} ({DATASET}) in {seconds:.1f} s: {progress.fetched_sessions} sessions fetched, "
        f"{progress.skipped_sessions} skipped as already loaded; {client.requests_sent} requests, "
        f"{client.retries} retried."
    )
    for count, why in refetch.results_again_reasons(progress.results_again, results_window):
        print(f"  results refetched for {count} sessions {why}")
    for table, count in sorted(dropped.items()):
        print(f"  {table}: {count} rows without a usable key (null in OpenF1's data) were not loaded")
    if progress.rows:
        width = max(len(t) for t in progress.rows)
        for table in catalogue.ENDPOINTS:
            if table in progress.rows:
                print(f"  {table:<{width}}  {progress.rows[table]:>12,} rows")
    else:
        print("  nothing new to load")


_EXPECTED = (scope.ScopeError, origin.OriginError, OpenF1Error, warehouse.WarehouseError, ValueError)
_OURS = (scope.ScopeError, origin.OriginError, OpenF1Error, warehouse.WarehouseError)


def _expected_cause(error: BaseException) -> BaseException | None:
    """The error of ours a dlt step failure wraps (a request that kept failing inside a resource), if any."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, _OURS):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _held_warehouse(error: BaseException, warehouse_file: str) -> str | None:
    """The one line naming the process that holds the warehouse, if DuckDB's lock is what ``error`` comes from
    (a program that opened the file after the loader's check, before dlt opened it)."""
    seen: BaseException | None = error
    while seen is not None:
        message = warehouse.held_message(warehouse_file, str(seen))
        if message is not None:
            return message
        seen = seen.__cause__ or seen.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        return run(args, argv)
    except _EXPECTED as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; rerun the same command to resume (nothing loaded is lost)", file=sys.stderr)
        return 130
    except Exception as error:
        cause = _expected_cause(error) if isinstance(error, PipelineStepFailed) else None
        reason = str(cause) if cause is not None else _held_warehouse(error, args.warehouse)
        if reason is None:
            raise
        print(f"error: {reason}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
