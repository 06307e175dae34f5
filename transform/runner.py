"""dbt, run in this process (dbt's programmatic ``dbtRunner``): the project parsed once, then the raw inventory, the
build and source freshness on that one parse (no command parses it again).

dbt's own console output is off (``--log-level none``); its full debug log still goes to ``DBT_LOG_PATH/dbt.log``.
What the user sees is printed by the caller from the results and from the events handed to ``on_event``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt.contracts.graph.manifest import Manifest
from dbt_common.events.base_types import EventMsg

from transform.progress import FAILED

# console silent, the log file complete and free of colour codes
QUIET = ["--log-level", "none", "--log-level-file", "debug", "--no-use-colors-file"]
# a selection that matches nothing fails the build instead of passing it with nothing built
NO_EMPTY_SELECTION = ["--warn-error-options", json.dumps({"error": ["NoNodesForSelectionCriteria"]})]
INVENTORY_LINE = "raw_inventory "
PROJECT = "openf1"  # the dbt project (dbt_project.yml name), whose sources are checked

EventHandler = Callable[[EventMsg], None]


class DbtFailed(Exception):
    """dbt stopped before or outside its nodes (the project does not parse, the warehouse cannot be opened)."""


@dataclass(frozen=True)
class NodeOutcome:
    """One node of a build as dbt finished it."""

    unique_id: str
    resource_type: str
    name: str
    status: str
    message: str


@dataclass(frozen=True)
class BuildRun:
    """A dbt build that ran: every node's outcome, whether dbt calls it a success, and its exception if any."""

    outcomes: tuple[NodeOutcome, ...]
    passed: bool
    error: str = ""

    @property
    def failures(self) -> list[NodeOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status in FAILED]

    @property
    def skipped(self) -> int:
        return sum(outcome.status == "skipped" for outcome in self.outcomes)


@dataclass(frozen=True)
class RawTable:
    """A table of the raw schema: its rows, and the non-null values of each of its variant columns."""

    name: str
    rows: int
    variant_columns: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Staleness:
    """A source table whose newest rows are older than its freshness threshold (dbt status warn or error)."""

    table: str
    status: str
    age_s: float
    warn_after: str
    error_after: str


@dataclass(frozen=True)
class Freshness:
    """What ``dbt source freshness`` found for the tables it checked."""

    checked: tuple[str, ...]
    stale: tuple[Staleness, ...] = ()
    errors: tuple[str, ...] = ()  # tables whose check itself failed


def exception_line(result: dbtRunnerResult) -> str:
    """dbt's exception as one line."""
    text = " ".join(str(result.exception or "dbt stopped without a message").split())
    return text if len(text) <= 300 else text[:297] + "..."


class Dbt:
    """The dbt project of the current directory on one target, parsed once."""

    def __init__(self, target: str, target_path: Path, on_event: EventHandler | None = None) -> None:
        self.target = target
        self.target_path = target_path  # dbt's artefacts: manifest.json, run_results.json, sources.json
        self.on_event = on_event
        self.manifest: Manifest | None = None

    def _invoke(
        self, command: Sequence[str], extra: Sequence[str] = (), on_event: EventHandler | None = None
    ) -> dbtRunnerResult:
        callbacks = [handler for handler in (self.on_event, on_event) if handler is not None]
        runner = dbtRunner(manifest=self.manifest, callbacks=callbacks)
        result = runner.invoke(
            [*command, "--target", self.target, "--target-path", str(self.target_path), *QUIET, *extra]
        )
        if isinstance(result.exception, KeyboardInterrupt):
            raise KeyboardInterrupt  # dbtRunner returns Ctrl-C as a result: it stops us too
        return result

    def parse(self) -> Manifest:
        """Parse the project (partially, as dbt does by default); DbtFailed when it does not parse."""
        result = self._invoke(["parse"])
        if not result.success or not isinstance(result.result, Manifest):
            raise DbtFailed(exception_line(result))
        self.manifest = result.result
        return self.manifest

    def build(
        self, unit_tests: bool, full_refresh: bool, on_event: EventHandler, selection: Sequence[str] = ()
    ) -> BuildRun:
        """``dbt build``: seeds, models and data tests (and unit tests); DbtFailed when no node could run. With a
        ``selection`` (``["--select", "state:modified+", "--state", DIR]``), only those: none is a passing build."""
        arguments = build_arguments(unit_tests, full_refresh)
        if selection:
            arguments = [*selection, *(a for a in arguments if a not in NO_EMPTY_SELECTION)]
        result = self._invoke(["build"], arguments, on_event)
        run = result.result
        if selection and result.success and run is not None and not getattr(run, "results", None):
            return BuildRun(outcomes=(), passed=True)
        if run is None or not getattr(run, "results", None):
            raise DbtFailed(exception_line(result))
        outcomes = tuple(node_outcome(node_result) for node_result in run.results)
        error = exception_line(result) if result.exception is not None else ""
        return BuildRun(outcomes=outcomes, passed=bool(result.success) and not error, error=error)

    def build_selected(
        self, selection: Sequence[str], on_event: EventHandler | None = None, allow_empty: bool = False
    ) -> BuildRun:
        """``dbt build`` of ``selection`` (``["--selector", "live_board"]`` or ``["--select", …]``) without data
        or unit tests: live mode's cycles, whose tests run in the ``make build`` that follows the session.
        DbtFailed when no node could run."""
        extra = [*selection, "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
        # neither run_results.json nor manifest.json (a second or two each time; the parse wrote the manifest),
        # nor dbt's relation cache, filled from the whole catalogue before each run
        extra += ["--no-write-json", "--no-populate-cache"]
        result = self._invoke(["build"], [*extra, *([] if allow_empty else NO_EMPTY_SELECTION)], on_event)
        run = result.result
        if allow_empty and result.success and run is not None and not getattr(run, "results", None):
            return BuildRun(outcomes=(), passed=True)
        if run is None or not getattr(run, "results", None):
            raise DbtFailed(exception_line(result))
        outcomes = tuple(node_outcome(node_result) for node_result in run.results)
        error = exception_line(result) if result.exception is not None else ""
        return BuildRun(outcomes=outcomes, passed=bool(result.success) and not error, error=error)

    def record_passed_key_checks(self) -> None:
        """After a build in which every node passed: the sessions whose telemetry keys passed their test, which
        later builds do not check again (macros/telemetry_key_checks.sql); DbtFailed if it cannot run."""
        result = self._invoke(["run-operation", "record_passed_key_checks"], ["--no-write-json"])
        if not result.success:
            raise DbtFailed(exception_line(result))

    def raw_inventory(self) -> list[RawTable]:
        """The raw schema's tables and variant columns (macros/raw_inventory.sql); DbtFailed if it cannot run."""
        lines: list[dict[str, Any]] = []

        def collect(event: EventMsg) -> None:
            message = getattr(event.data, "msg", "")
            if event.info.name.startswith("JinjaLog") and message.startswith(INVENTORY_LINE):
                lines.append(json.loads(message.removeprefix(INVENTORY_LINE)))

        result = self._invoke(["run-operation", "raw_inventory"], ["--no-write-json"], collect)
        if not result.success:
            raise DbtFailed(exception_line(result))
        tables: dict[str, RawTable] = {}
        for line in lines:
            if line["column"] is None:
                tables[line["table"]] = RawTable(line["table"], line["rows"])
        for line in lines:
            if line["column"] is not None and line["table"] in tables:
                tables[line["table"]].variant_columns[line["column"]] = line["rows"]
        return [tables[name] for name in sorted(tables)]

    def freshness(self, tables: Sequence[str]) -> Freshness:
        """``dbt source freshness`` of the project's sources among ``tables`` (writes sources.json)."""
        assert self.manifest is not None, "parse first"
        sources = {
            source.name: source.source_name
            for source in self.manifest.sources.values()
            if source.package_name == PROJECT and source.name in tables and has_freshness(source)
        }
        if not sources:
            return Freshness(checked=())
        selection = [f"source:{sources[table]}.{table}" for table in sorted(sources)]
        result = self._invoke(["source", "freshness"], ["--select", *selection])
        run = result.result
        if run is None or not getattr(run, "results", None):
            raise DbtFailed(exception_line(result))
        stale: list[Staleness] = []
        errors: list[str] = []
        for node_result in run.results:
            if getattr(node_result.node, "unique_id", "").split(".")[0] != "source":
                continue  # the on-run-start hooks' results
            status = str(getattr(node_result.status, "value", node_result.status))
            table = node_result.node.name
            if status in ("warn", "error"):
                criteria = node_result.node.freshness
                stale.append(
                    Staleness(
                        table=table,
                        status=status,
                        age_s=float(getattr(node_result, "age", 0.0) or 0.0),
                        warn_after=period(criteria.warn_after if criteria else None),
                        error_after=period(criteria.error_after if criteria else None),
                    )
                )
            elif status != "pass":
                errors.append(table)
        return Freshness(checked=tuple(sorted(sources)), stale=tuple(stale), errors=tuple(sorted(errors)))


def build_arguments(unit_tests: bool, full_refresh: bool) -> list[str]:
    """dbt build's options besides the target: the unit tests check the SQL's logic on fixtures, not the data, so a
    build leaves them out unless asked (make test asks: UNIT_TESTS=1); a full refresh rebuilds the incremental
    models from scratch (sessions fetched again may be older than the newest one built)."""
    arguments = [*NO_EMPTY_SELECTION]
    if not unit_tests:
        arguments += ["--exclude-resource-type", "unit_test"]
    if full_refresh:
        arguments.append("--full-refresh")
    return arguments


def node_outcome(node_result: Any) -> NodeOutcome:
    node = node_result.node
    return NodeOutcome(
        unique_id=node.unique_id,
        resource_type=str(getattr(node.resource_type, "value", node.resource_type)),
        name=node.name,
        status=str(getattr(node_result.status, "value", node_result.status)),
        message=str(node_result.message or ""),
    )


def has_freshness(source: Any) -> bool:
    criteria = getattr(source, "freshness", None)
    return bool(criteria and (criteria.warn_after.count or criteria.error_after.count))


def period(time: Any) -> str:
    """dbt's freshness threshold (count, period) as words: ``7 days``; empty when unset."""
    if time is None or not time.count or time.period is None:
        return ""
    unit = str(getattr(time.period, "value", time.period))
    return f"{time.count} {unit if time.count != 1 else unit.removesuffix('s')}"
