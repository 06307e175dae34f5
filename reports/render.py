"""Render the static report site from the marts: ``python -m reports.render --warehouse FILE --out DIR``.

Reads only the ``marts`` (and ``features``) schemas, read-only; every number shown is a column of a mart.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"

SESSIONS_SQL = """
select
    season,
    meeting_key,
    session_key,
    session_name,
    session_type,
    count(*) as laps,
    count(distinct driver_number) as drivers,
    min(started_at) as first_lap_at
from marts.fct_laps
group by season, meeting_key, session_key, session_name, session_type
order by first_lap_at nulls last, session_key
"""

FASTEST_LAPS_SQL = """
select
    session_key,
    session_name,
    driver_code,
    full_name,
    team_name,
    lap_number,
    lap_duration_s
from marts.fct_laps
where is_session_fastest_lap
order by session_key, driver_number
"""


def lap_time(seconds: float | None) -> str:
    """87.1234 -> '1:27.123'."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:06.3f}" if minutes else f"{rest:.3f}"


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def render(warehouse: Path, out: Path) -> Path:
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist: run make build first")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        sessions = _rows(connection, SESSIONS_SQL)
        fastest = _rows(connection, FASTEST_LAPS_SQL)
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), undefined=StrictUndefined
    )
    environment.filters["lap_time"] = lap_time
    fastest_by_session: dict[int, list[dict[str, Any]]] = {}
    for row in fastest:
        fastest_by_session.setdefault(row["session_key"], []).append(row)
    html = environment.get_template("index.html").render(
        sessions=sessions,
        fastest_by_session=fastest_by_session,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        warehouse=warehouse.name,
    )
    out.mkdir(parents=True, exist_ok=True)
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see: python -m reports.render --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m reports.render", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default="warehouse/openf1.duckdb", type=Path)
    parser.add_argument("--out", default="reports/site", type=Path)
    args = parser.parse_args(argv)
    try:
        index = render(args.warehouse, args.out)
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"error: {error}".splitlines()[0], file=sys.stderr)
        return 1
    print(f"Report written to {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
