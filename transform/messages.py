"""What make transform prints once dbt has run: failing nodes, type drift, stale sources. Plain text, no colour."""

from __future__ import annotations

from collections.abc import Sequence

from transform.runner import Freshness, NodeOutcome, RawTable

MESSAGE_CHARS = 200


def node_message(outcome: NodeOutcome) -> str:
    """dbt's message for a node as one short line: its header (``Runtime Error in model x (path)``) and the SQL
    excerpt it quotes (``LINE 1: ...``) left out."""
    kept: list[str] = []
    for raw in outcome.message.splitlines():
        line = raw.strip()
        if not line:
            if kept:
                break
            continue
        if line.startswith("LINE ") or line.startswith("^"):
            break
        if " Error in " in line and line.endswith(")") and not kept:
            continue  # "Runtime Error in model fct_laps (models/marts/fct_laps.sql)": the name is printed already
        kept.append(line)
    text = " ".join(kept) or outcome.status
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


def failure_lines(failures: Sequence[NodeOutcome]) -> list[str]:
    """One line per failing node: ``  error  model fct_laps: Catalog Error: ...``."""
    return [
        f"  {outcome.status:<6} {outcome.resource_type} {outcome.name}: {node_message(outcome)}" for outcome in failures
    ]


def failed_line(failed: int, skipped: int, log: str) -> str:
    """The last line of a failed build: what failed, where the whole story is, what readers see meanwhile."""
    counts = f"{failed} node{'s' if failed != 1 else ''} failed" if failed else "dbt stopped"
    if skipped:
        counts += f", {skipped} skipped because of {'them' if failed != 1 else 'it'}"
    return f"dbt build failed ({counts}): see {log} (nothing published: readers keep the last good build)"


def drift_lines(tables: Sequence[RawTable], raw_schema: str) -> list[str]:
    """Every variant column of the raw schema, with its non-null rows, what it means and what to do; [] when none.

    dlt loads a value that does not fit its column's declared type into a variant column ``<field>__v_<type>``
    instead of failing; staging reads the declared column only, so those values are null in every model.
    """
    holding = [(table, column, rows) for table in tables for column, rows in sorted(table.variant_columns.items())]
    if not holding:
        return []
    with_values = [(table, column, rows) for table, column, rows in holding if rows]
    lines: list[str] = []
    if with_values:
        count = sum(rows for _, _, rows in with_values)
        lines.append(
            f"warning: type drift in {raw_schema}: "
            + (
                "1 value did not fit its column's declared type; dlt kept it in a variant column, and every model "
                "reads it as null:"
                if count == 1
                else f"{count:,} values did not fit their columns' declared types; dlt kept them in variant columns, "
                "and every model reads them as null:"
            )
        )
    else:
        lines.append(f"note: {raw_schema} has variant columns from an earlier load, holding no values now (harmless):")
    width = max(len(f"{raw_schema}.{table.name}.{column}") for table, column, _ in holding)
    for table, column, rows in holding:
        field, _, kind = column.partition("__v_")
        name = f"{raw_schema}.{table.name}.{column}"
        meaning = f"{field} sent as {kind}" if rows else "empty"
        lines.append(f"  {name:<{width}}  {rows:>7,} row{'s' if rows != 1 else ' '}  ({meaning})")
    if with_values:
        table, column, _ = with_values[0]
        lines.append(
            f"  see them: select * from {raw_schema}.{table.name} where {column} is not null   (on the working "
            "warehouse; make query reads the published marts)"
        )
        lines.append(
            "  fix: a wrong source (a snapshot) -> correct it and make build FULL_REFRESH=1; a type OpenF1 changed -> "
            "declare it in dlt_pipelines/openf1/catalogue.py, cast it in its staging model, make build FULL_REFRESH=1"
        )
    return lines


def freshness_note(freshness: Freshness, raw_schema: str, log: str) -> str:
    """One line when a loaded source table is stale (or its check failed); empty otherwise."""
    parts: list[str] = []
    if freshness.stale:
        oldest = max(stale.age_s for stale in freshness.stale)
        names = ", ".join(f"{raw_schema}.{stale.table}" for stale in freshness.stale)
        thresholds = "; ".join(
            dict.fromkeys(f"warn after {stale.warn_after}" for stale in freshness.stale if stale.warn_after)
        )
        parts.append(
            f"{names} newest rows loaded {_age(oldest)} ago ({thresholds or 'past its threshold'}): "
            "expected for a past season or a snapshot; make load fetches what the source published since"
        )
    if freshness.errors:
        parts.append(f"the check failed for {', '.join(freshness.errors)} (see {log})")
    return "note: source freshness: " + "; ".join(parts) if parts else ""


def _age(seconds: float) -> str:
    days = seconds / 86400
    if days >= 2:
        return f"{days:.0f} days"
    hours = seconds / 3600
    return f"{hours:.0f} hours" if hours >= 2 else f"{seconds / 60:.0f} minutes"
