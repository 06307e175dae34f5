"""``python -m status``: the state of one warehouse in a few lines (``make status``).

    python -m status --warehouse warehouse/openf1.duckdb --published warehouse/published/openf1.duckdb \
        --dbt-target target/warehouse_openf1 --source sample --load-from warehouse/samples/season-2025-r4-s7-hz1

It never takes the build's lock and never waits: the working file is read only when DuckDB lets a reader in at
once (else it names the build holding it), the rest comes from the published copy and dbt's target folder.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from status.build import BuildRecord, read_build
from status.published import PublishedCopy, read_published
from status.source import check_source
from status.text import as_utc, shown, when
from status.warehouse import WorkingFile, read_working_file

LABEL_WIDTH = 13


def line(label: str, text: str) -> str:
    return f"{label:<{LABEL_WIDTH}}{text}"


def warehouse_lines(working: WorkingFile, published: PublishedCopy, build_hint: str, now: datetime) -> list[str]:
    name = shown(working.path)
    if working.state == "missing":
        return [line("Warehouse", f"no warehouse yet at {name}: run {build_hint}")]
    if working.state == "unreadable":
        return [line("Warehouse", f"{name} cannot be read ({working.holder})")]
    if working.state == "held":
        copy = f"; the published copy holds {published.holdings.describe()}" if published.holdings else ""
        if working.holder_is_build:
            return [line("Warehouse", f"{name}: being built by {working.holder}{copy}")]
        return [
            line("Warehouse", f"{name}: held by {working.holder}, not a build: close it before the next build{copy}")
        ]
    lines = [line("Warehouse", f"{name}: {working.holdings.describe() if working.holdings else 'no sessions'}")]
    if working.last_load:
        load = working.last_load
        lines.append(line("Last load", f"{when(load.inserted_at, now)}, load {load.load_id} ({load.loads} loads)"))
    else:
        lines.append(line("Last load", f"none finished yet: run {build_hint}"))
    return lines


def build_line(build: BuildRecord, working: WorkingFile, build_hint: str, now: datetime) -> str:
    building = working.state == "held" and working.holder_is_build
    if build.state == "none":
        if building:
            return line("Last build", "none yet: the first build is running")
        return line("Last build", f"none yet (no dbt run in {shown(build.target)}): run {build_hint}")
    if build.state == "not_passed" or build.passing is None:
        if building:
            return line("Last build", "none on record while this build runs")
        return line(
            "Last build",
            "no passing build on record: the last make transform failed or is running"
            f" (see {shown(build.target / 'logs' / 'dbt.log')})",
        )
    passing = build.passing
    text = f"{when(passing.finished_at, now)}: dbt build passed ({passing.nodes} nodes in {passing.elapsed_s:.0f} s)"
    if working.last_load and as_utc(working.last_load.inserted_at) > as_utc(passing.finished_at):
        text += "; loaded since: make transform builds it"
    return line("Last build", text)


def published_lines(published: PublishedCopy, build: BuildRecord, build_hint: str, now: datetime) -> list[str]:
    name = shown(published.path)
    if published.state == "missing":
        return [line("Published", f"no published copy yet at {name}: run {build_hint}")]
    if published.state == "unreadable" or published.published_at is None:
        return [line("Published", f"{name} cannot be read ({published.problem}): run {build_hint}")]
    text = f"{name}: published {when(published.published_at, now)}"
    if build.passing and build.passing.invocation_id == published.invocation_id:
        text += " from the last passing build"
    elif build.passing:
        text += f"; older than the last passing build: run make publish{build_hint.removeprefix('make build')}"
    lines = [line("Published", text)]
    if published.provisional:
        named = ", ".join(session.describe() for session in published.provisional[:3])
        more = f" and {len(published.provisional) - 3} more" if len(published.provisional) > 3 else ""
        count = len(published.provisional)
        results = "1 result" if count == 1 else f"{count} results"
        lines.append(line("Provisional", f"{results} may still be amended: {named}{more}"))
    else:
        lines.append(line("Provisional", "none: every result is past its amendment window"))
    if published.incomplete_sessions:
        endpoints = ", ".join(f"{endpoint} in {n}" for endpoint, n in published.incomplete_endpoints.items())
        lines.append(
            line(
                "Incomplete",
                f"{published.incomplete_sessions} sessions lack data ({endpoints}): quality.html of make reports",
            )
        )
    else:
        lines.append(line("Incomplete", "none: every session has what OpenF1 publishes for it"))
    return lines


def status_lines(args: argparse.Namespace, now: datetime) -> list[str]:
    build_hint = f"make build {args.make_args}".strip()
    build = read_build(args.dbt_target)
    if args.destination == "bigquery":
        lines = [
            line(
                "Warehouse",
                "BigQuery (DESTINATION=bigquery): make status reads DuckDB files only; the BigQuery console shows it",
            )
        ]
        lines.append(build_line(build, WorkingFile(args.warehouse, "bigquery"), build_hint, now))
    else:
        working = read_working_file(args.warehouse, args.build_lock)
        published = read_published(args.published)
        lines = warehouse_lines(working, published, build_hint, now)
        lines.append(build_line(build, working, build_hint, now))
        lines += published_lines(published, build, build_hint, now)
    _, source = check_source(args.source, args.load_from or args.source)
    lines.append(line("Source", source))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True, help="the working DuckDB file (WAREHOUSE)")
    parser.add_argument("--published", type=Path, required=True, help="its published copy (PUBLISHED)")
    parser.add_argument("--dbt-target", type=Path, required=True, help="dbt's target folder (DBT_TARGET_PATH)")
    parser.add_argument("--build-lock", type=Path, help="the warehouse's build lock (BUILD_LOCK): held = being built")
    parser.add_argument("--source", default="", help="SOURCE: sample, live, a snapshot folder or a URL")
    parser.add_argument("--load-from", default="", help="the folder or URL SOURCE loads from (LOAD_FROM)")
    parser.add_argument("--destination", default="duckdb", choices=("duckdb", "bigquery"))
    parser.add_argument("--make-args", default="", help="variables hints repeat, e.g. WAREHOUSE=warehouse/x.duckdb")
    args = parser.parse_args(argv)
    for text in status_lines(args, datetime.now(UTC)):
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
