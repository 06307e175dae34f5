"""The data-quality page's facts: dbt's artefacts of the last build, the warehouse catalogue, and the completeness
mart (``marts.session_data_completeness``: the sessions whose numbers rest on partial data).

The last *build* is what the page reports, never whatever dbt ran last: ``make transform`` records a passing
``dbt build`` as ``build_results.json`` (and its manifest as ``build_manifest.json``) in the dbt target path,
while ``run_results.json`` is rewritten by every dbt command (``dbt docs generate`` and ``dbt compile`` list every
test as "success" without running one; ``dbt run`` runs no test). ``run_results.json`` counts as the last build
only when it is a ``dbt build`` (``args.which``) newer than the recorded one: a build that failed, or one run by
hand. Any other later command is named on the page, not counted. ``sources.json`` (``dbt source freshness``) and
the manifest (which tests are allowed to warn: our known upstream gaps) are read beside it; any file may be
missing, and the page says so. Row counts are a ``count(*)`` of every table and view (DuckDB's catalogue
estimate counts deleted rows after a merge, so it is not used): the page reports on the warehouse itself, not
on the data in it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

SCHEMAS = ("raw_openf1", "staging", "intermediate", "marts", "features")
PASSING = {"pass", "success", "no-op"}  # no-op: exposures and saved queries, which dbt does not run
BUILD_RESULTS = "build_results.json"  # make transform's record of the last passing dbt build
BUILD_MANIFEST = "build_manifest.json"  # ...and that build's manifest
RUN_RESULTS = "run_results.json"  # dbt's last command, whichever it was
MANIFEST = "manifest.json"
COMMAND_NAMES = {"generate": "docs generate"}  # args.which -> the command as typed, where they differ
_COMPILES_ONLY = "it compiles only: no model built, no test run"
NOT_A_BUILD = {  # args.which -> why its results are not the build's
    "compile": _COMPILES_ONLY,
    "generate": _COMPILES_ONLY,
    "parse": _COMPILES_ONLY,
    "list": _COMPILES_ONLY,
    "show": _COMPILES_ONLY,
    "run": "it builds models but runs no test",
    "test": "it runs tests but builds no model",
    "seed": "it loads seeds only",
}
_LEADING_COMMENT = re.compile(r"^\s*(?:\{\{[^}]*\}\}\s*)*\{#-?(.*?)-?#\}", re.DOTALL)


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    resource_type: str
    name: str
    status: str
    failures: int | None
    message: str
    execution_time_s: float
    model: str | None


@dataclass(frozen=True)
class Freshness:
    source: str
    table: str
    status: str
    max_loaded_at: str | None
    age_hours: float | None
    warn_after: str
    error_after: str


@dataclass(frozen=True)
class KnownGap:
    name: str
    label: str
    model: str | None
    explanation: str
    status: str
    failures: int | None
    threshold: str


@dataclass(frozen=True)
class RowCount:
    schema: str
    name: str
    kind: str
    rows: int


@dataclass
class DbtBuild:
    """What dbt's artefacts tell about the last build; each part empty when its file is absent (the page says so).

    ``source`` names the file the results came from (None: no build on record); ``later_command`` and
    ``later_ran_at`` name a dbt command that ran after it (or with no build at all) and is not a build.
    """

    target: Path | None
    source: str | None = None
    ran_at: str | None = None
    command: str | None = None
    elapsed_s: float | None = None
    dbt_version: str | None = None
    results: list[NodeResult] = field(default_factory=list)
    later_command: str | None = None
    later_ran_at: str | None = None
    later_why: str | None = None
    freshness: list[Freshness] = field(default_factory=list)
    freshness_generated_at: str | None = None
    known_gaps: list[KnownGap] = field(default_factory=list)

    @property
    def tests(self) -> list[NodeResult]:
        return [result for result in self.results if result.resource_type in ("test", "unit_test")]

    @property
    def problems(self) -> list[NodeResult]:
        return [result for result in self.results if result.status not in PASSING]

    def status_table(self) -> list[tuple[str, dict[str, int]]]:
        """Per resource type, how many nodes ended in each status (a summary of dbt's own file)."""
        table: dict[str, dict[str, int]] = {}
        for result in self.results:
            counts = table.setdefault(result.resource_type, {})
            counts[result.status] = counts.get(result.status, 0) + 1
        return sorted(table.items())


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _short(unique_id: str) -> str:
    parts = unique_id.split(".")
    return parts[2] if len(parts) > 2 else unique_id


def _model_of(node: dict[str, Any]) -> str | None:
    """The model a test checks: its attached node, else the first model it reads (singular tests)."""
    attached = node.get("attached_node")
    if attached:
        return _short(attached)
    models = [name for name in (node.get("depends_on") or {}).get("nodes", []) if name.startswith("model.")]
    return _short(models[0]) if models else None


def _unit_test_model(node: dict[str, Any]) -> str | None:
    model = node.get("model")
    return str(model) if model else None


def _label(node: dict[str, Any]) -> str:
    """A short name: a singular test's name, or a generic test's kind and column ('accepted_values · compound')."""
    metadata = node.get("test_metadata") or {}
    if not metadata:
        return str(node.get("name", ""))
    column = node.get("column_name") or (metadata.get("kwargs") or {}).get("column_name")
    return f"{metadata.get('name')}{' · ' + column if column else ''}"


def _explanation(node: dict[str, Any]) -> str:
    """The test's description, else the comment heading a singular test, else what a generic test checks."""
    if node.get("description"):
        return str(node["description"])
    match = _LEADING_COMMENT.match(node.get("raw_code") or "")
    if match:
        return " ".join(match.group(1).split())
    metadata = node.get("test_metadata") or {}
    if metadata:
        kwargs = metadata.get("kwargs") or {}
        column = node.get("column_name") or kwargs.get("column_name")
        model = _short(node.get("attached_node") or "")
        values = kwargs.get("values")
        detail = f" in {', '.join(map(str, values))}" if values else ""
        return f"{metadata.get('name')} on {model}{'.' + column if column else ''}{detail}"
    return ""


def _threshold(config: dict[str, Any]) -> str:
    if str(config.get("severity", "")).lower() == "warn":
        return "warn only"
    return f"warn if {config.get('warn_if')}, error if {config.get('error_if')}"


def _which(results: dict[str, Any]) -> str | None:
    return (results.get("args") or {}).get("which")


def _generated_at(results: dict[str, Any]) -> str:
    return str((results.get("metadata") or {}).get("generated_at") or "")


def utc_time(iso: str | None) -> str | None:
    """dbt's '2026-12-05T07:50:35.663722Z' as '2026-12-05 07:50:35 UTC'."""
    if not iso:
        return None
    return f"{iso[:19].replace('T', ' ')} UTC"


def last_build(target: Path) -> tuple[str | None, dict[str, Any] | None, dict[str, Any] | None]:
    """The file holding the last dbt build, its results, and dbt's last command when that is newer and no build.

    ``build_results.json`` unless ``run_results.json`` is a newer ``dbt build`` (one that failed, or run by hand).
    """
    recorded = _load(target / BUILD_RESULTS)
    latest = _load(target / RUN_RESULTS)
    source, build = (BUILD_RESULTS, recorded) if recorded is not None and _which(recorded) == "build" else (None, None)
    if latest is None or (build is not None and _generated_at(latest) <= _generated_at(build)):
        return source, build, None
    if _which(latest) == "build":
        return RUN_RESULTS, latest, None
    return source, build, latest


def read_dbt_build(target: Path | None) -> DbtBuild:
    build = DbtBuild(target=target)
    if target is None:
        return build
    build.source, run_results, later = last_build(target)
    if later is not None:
        which = _which(later)
        build.later_command = COMMAND_NAMES.get(which or "", which or "?")
        build.later_ran_at = utc_time(_generated_at(later))
        build.later_why = NOT_A_BUILD.get(which or "", "it is not a dbt build")
    # the manifest of the build shown: make docs or a parse may have rewritten manifest.json since
    manifest = _load(target / BUILD_MANIFEST) if build.source == BUILD_RESULTS else None
    manifest = manifest or _load(target / MANIFEST)
    sources = _load(target / "sources.json")
    nodes: dict[str, Any] = {**(manifest or {}).get("nodes", {}), **(manifest or {}).get("unit_tests", {})}
    if run_results:
        metadata = run_results.get("metadata", {})
        build.ran_at = utc_time(metadata.get("generated_at"))
        build.dbt_version = metadata.get("dbt_version")
        build.elapsed_s = run_results.get("elapsed_time")
        build.command = _which(run_results)
        for result in run_results.get("results", []):
            unique_id = result["unique_id"]
            node = nodes.get(unique_id, {})
            build.results.append(
                NodeResult(
                    unique_id=unique_id,
                    resource_type=unique_id.split(".")[0],
                    name=".".join(unique_id.split(".")[2:4])
                    if unique_id.startswith("unit_test.")
                    else _short(unique_id),
                    status=str(result.get("status")),
                    failures=result.get("failures"),
                    message=(result.get("message") or "").strip(),
                    execution_time_s=float(result.get("execution_time") or 0.0),
                    model=_model_of(node) if node.get("resource_type") == "test" else _unit_test_model(node),
                )
            )
    statuses = {result.unique_id: result for result in build.results}
    for unique_id, node in sorted(nodes.items()):
        config = node.get("config") or {}
        if node.get("resource_type") != "test":
            continue
        warns = str(config.get("severity", "")).lower() == "warn" or config.get("warn_if") != config.get("error_if")
        if not warns:
            continue
        result = statuses.get(unique_id)
        build.known_gaps.append(
            KnownGap(
                name=node.get("name", _short(unique_id)),
                label=_label(node),
                model=_model_of(node),
                explanation=_explanation(node),
                status=result.status if result else "not run",
                failures=result.failures if result else None,
                threshold=_threshold(config),
            )
        )
    if sources:
        build.freshness_generated_at = sources.get("metadata", {}).get("generated_at")
        for result in sources.get("results", []):
            parts = result.get("unique_id", "").split(".")
            criteria = result.get("criteria") or {}
            age = result.get("max_loaded_at_time_ago_in_s")
            build.freshness.append(
                Freshness(
                    source=parts[2] if len(parts) > 3 else "",
                    table=parts[-1],
                    status=str(result.get("status")),
                    max_loaded_at=result.get("max_loaded_at"),
                    age_hours=None if age is None else age / 3600,
                    warn_after=_period(criteria.get("warn_after")),
                    error_after=_period(criteria.get("error_after")),
                )
            )
    return build


def _period(rule: dict[str, Any] | None) -> str:
    if not rule or rule.get("count") is None:
        return "—"
    return f"{rule['count']} {rule['period']}{'s' if rule['count'] != 1 else ''}"


def row_counts(connection: duckdb.DuckDBPyConnection) -> list[RowCount]:
    """Rows in every table and view of the warehouse's schemas: as the published copy recorded them at publish
    (``main.warehouse_row_counts``: it holds marts and features only), else counted in the file given."""
    recorded = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = 'main' and table_name = 'warehouse_row_counts'"
    ).fetchone()[0]
    if recorded:
        rows = connection.execute(
            "select schema_name, relation_name, relation_kind, row_count from main.warehouse_row_counts"
        ).fetchall()
        order = {schema: index for index, schema in enumerate(SCHEMAS)}
        counts = [RowCount(schema, name, kind, int(n)) for schema, name, kind, n in rows if schema in order]
        return sorted(counts, key=lambda count: (order[count.schema], count.name))
    placeholders = ", ".join("?" for _ in SCHEMAS)
    relations = connection.execute(
        f"select schema_name, table_name, 'table' from duckdb_tables() where schema_name in ({placeholders})"
        " and not starts_with(table_name, '_dlt')"
        f" union all select schema_name, view_name, 'view' from duckdb_views() where schema_name in ({placeholders})",
        [*SCHEMAS, *SCHEMAS],
    ).fetchall()
    counts = []
    for schema, name, kind in relations:
        (rows,) = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone() or (0,)
        counts.append(RowCount(schema, name, kind, int(rows)))
    order = {schema: index for index, schema in enumerate(SCHEMAS)}
    return sorted(counts, key=lambda count: (order[count.schema], count.name))


# ---- data completeness (marts.session_data_completeness) ---------------------------------------------------------
COMPLETENESS_MART = "session_data_completeness"


@dataclass(frozen=True)
class CompletenessGap:
    """A session and endpoint whose data is partial or missing, as the completeness mart says."""

    session_key: int
    endpoint: str
    season: int | None
    round_number: int | None
    meeting_name: str | None
    session_name: str | None
    session_kind: str | None
    status: str
    note: str | None
    rows_received: int


@dataclass
class DataCompleteness:
    """The completeness mart's gaps; ``available`` is false when the warehouse has no such mart (an older build)."""

    available: bool = False
    gaps: list[CompletenessGap] = field(default_factory=list)
    not_loaded: list[str] = field(default_factory=list)

    @property
    def partial(self) -> list[CompletenessGap]:
        return [gap for gap in self.gaps if gap.status == "partial"]

    @property
    def missing(self) -> list[CompletenessGap]:
        return [gap for gap in self.gaps if gap.status == "missing"]


def data_completeness(connection: duckdb.DuckDBPyConnection) -> DataCompleteness:
    """Sessions whose numbers rest on partial data: the mart's partial and missing rows, and the expected
    endpoints this warehouse never loaded. A selection from ``marts``; nothing is computed here."""
    (exists,) = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = ?", [COMPLETENESS_MART]
    ).fetchone() or (0,)
    if not exists:
        return DataCompleteness()
    cursor = connection.execute(
        f"""
        select session_key, endpoint, season, round_number, meeting_name, session_name, session_kind, status, note,
            rows_received
        from marts.{COMPLETENESS_MART}
        where status in ('partial', 'missing')
        order by season, round_number nulls last, session_started_at, session_key, endpoint
        """
    )
    gaps = [CompletenessGap(*row) for row in cursor.fetchall()]
    not_loaded = [
        endpoint
        for (endpoint,) in connection.execute(
            f"""
            select distinct endpoint from marts.{COMPLETENESS_MART}
            where is_expected and not is_endpoint_loaded
            order by endpoint
            """
        ).fetchall()
    ]
    return DataCompleteness(available=True, gaps=gaps, not_loaded=not_loaded)
