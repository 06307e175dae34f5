"""Render the static report site from the marts: ``python -m reports.render --warehouse FILE --out DIR``.

Writes ``index.html`` (champions, the latest podium, seasons and races), ``races/*.html`` (one per Grand Prix and
sprint), ``qualifying/*.html`` (one per qualifying and sprint qualifying: reports/qualifying.py),
``seasons/*.html`` (standings and the title fight), ``drivers/*.html`` (one per driver and season with a
classified session: reports/drivers.py) and ``quality.html`` (dbt's last build, read from ``--dbt-target``).
The pages open from disk: relative links,
inline CSS and inline SVG charts, no script and no network. Reads only the ``marts`` (and ``features``) schemas,
read-only; every number shown is a column of a mart (the quality page also reads the warehouse's catalogue).

The site is replaced whole (``reports/swap.py``): pages are written into a folder beside ``--out`` and swapped in
only when every page rendered, so a render that fails (a missing or damaged warehouse) leaves the previous site
as it was.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports import drivers, pages, quality, unchanged
from reports import qualifying as qualifying_pages
from reports.formatting import FILTERS
from reports.queries import Marts
from reports.swap import SiteFolderError, staged

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Site:
    """What was written: the index and every page, relative to the site root."""

    root: Path
    pages: list[str]
    cleaned: list[str]  # leftovers of an interrupted render, removed first

    @property
    def index(self) -> Path:
        return self.root / "index.html"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def _default_dbt_target() -> Path | None:
    value = os.environ.get("DBT_TARGET_PATH")
    return Path(value) if value else None


def render(warehouse: Path, out: Path, dbt_target: Path | None = None) -> Site:
    """Render every page of the site and put it at ``out`` whole (the previous site stays if any page fails)."""
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist: run make build first")
    cleaned: list[str] = []
    with staged(out, cleaned) as folder:
        written = _render_into(folder, warehouse, dbt_target)
    return Site(out, written, cleaned)


def _render_into(out: Path, warehouse: Path, dbt_target: Path | None) -> list[str]:
    env = environment()
    common = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse": warehouse.name,
    }
    written: list[str] = []

    def write(path: str, template: str, title: str, context: dict[str, Any]) -> None:
        depth = path.count("/")
        html = env.get_template(template).render(
            **common, **context, page_title=title, root="../" * depth, current=path
        )
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        written.append(path)

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        # capped like dbt's connection (profiles.yml): counting a season's telemetry views takes gigabytes
        connection.execute("set memory_limit = ?", [os.environ.get("OPENF1_DUCKDB_MEMORY_LIMIT", "2GB")])
        marts = Marts(connection)
        colours = pages.Colours(marts.team_colours())
        sessions = marts.race_sessions()
        race_paths = {session["session_key"]: pages.race_path(session) for session in sessions}
        index = pages.index_context(marts)
        for position, session in enumerate(sessions):
            context = pages.race_context(marts, session, colours)
            context["previous"] = _link(sessions[position - 1]) if position > 0 else None
            context["next"] = _link(sessions[position + 1]) if position + 1 < len(sessions) else None
            write(race_paths[session["session_key"]], "race.html", _title(session), context)
        for season in marts.seasons():
            context = pages.season_context(marts, season, colours, race_paths)
            write(pages.season_path(season), "season.html", f"{season} season", context)
        for page in drivers.driver_pages(marts, colours, race_paths):
            write(page.path, "driver.html", page.title, page.context)
        qualifying_sessions = qualifying_pages.sessions(marts)
        for position, session in enumerate(qualifying_sessions):
            context = qualifying_pages.context(marts, session, colours)
            context["previous"] = qualifying_pages.link(qualifying_sessions[position - 1]) if position > 0 else None
            context["next"] = (
                qualifying_pages.link(qualifying_sessions[position + 1])
                if position + 1 < len(qualifying_sessions)
                else None
            )
            write(pages.qualifying_path(session), qualifying_pages.TEMPLATE, qualifying_pages.title(session), context)
        qualifying_links = qualifying_pages.index_links(qualifying_sessions)
        for season_entry in index["seasons"]:
            for round_entry in season_entry["rounds"]:
                meeting = round_entry["meeting"]
                round_entry["qualifying"] = qualifying_links.get((meeting["season"], meeting["round_number"]), [])
        build = quality.read_dbt_build(dbt_target)
        counts = quality.row_counts(connection)
        completeness = quality.data_completeness(connection)
    write(
        pages.QUALITY_PATH,
        "quality.html",
        "Data quality",
        {"build": build, "row_counts": counts, "completeness": completeness},
    )
    write("index.html", "index.html", "OpenF1 warehouse reports", index)
    return written


def _title(session: dict[str, Any]) -> str:
    return f"{session['meeting_name']} {session['season']} · {session['session_name']}"


def _link(session: dict[str, Any]) -> dict[str, str]:
    return {"path": pages.race_path(session), "title": _title(session)}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see: python -m reports.render --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m reports.render", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--warehouse", default="warehouse/openf1.duckdb", type=Path, help="the DuckDB file")
    parser.add_argument("--out", default="reports/site", type=Path, help="the site folder (index.html at its root)")
    parser.add_argument(
        "--dbt-target",
        type=Path,
        default=_default_dbt_target(),
        help="dbt's target path with run_results.json, sources.json, manifest.json (default: $DBT_TARGET_PATH)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    current = unchanged.inputs_hash(args.warehouse, args.out, args.dbt_target)
    if unchanged.is_current(args.out, current):
        print(f"Report skipped: {args.out / 'index.html'} already shows this published copy (nothing new to render)")
        return 0
    try:
        site = render(args.warehouse, args.out, args.dbt_target)
    except duckdb.Error as error:  # a damaged file, a warehouse without the marts
        cause = str(error).splitlines()[0]
        fix = f"run make build; the site at {args.out} is unchanged"
        print(f"error: cannot render from {args.warehouse}: {cause} ({fix})", file=sys.stderr)
        return 1
    except (SiteFolderError, OSError) as error:  # a missing warehouse, a folder not ours or not writable
        print(f"error: {error}".splitlines()[0], file=sys.stderr)
        return 1
    unchanged.record(args.out, current, site.pages)
    for line in site.cleaned:
        print(f"note: {line}")
    print(f"Report written to {site.index} ({len(site.pages)} pages in {time.monotonic() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
