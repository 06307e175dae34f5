"""The live strategy board: one static HTML page for a session as its data stand, from the board's marts.

Reads only the marts tagged ``board`` (models/marts/live/: board_sessions, board_running_order, board_stints,
board_pit_windows, board_race_control, board_sector_bests) from a published copy (the live loop's
``warehouse/published/<name>-live.duckdb``, or any warehouse holding them in schema ``marts``), renders
templates/board.html and puts the page in place atomically (a temp file in the same folder, then ``os.replace``),
so a browser reloading it (meta refresh, no script) never reads half a page.

CLI: ``python -m reports.board --published P --out O [--session K] [--refresh S]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from reports.render import environment

TEMPLATE = "board.html"
RACE_CONTROL_MESSAGES = 15  # the feed's length on the page (newest first)
BOARD_MARTS = (
    "board_sessions",
    "board_running_order",
    "board_stints",
    "board_pit_windows",
    "board_race_control",
    "board_sector_bests",
)


class BoardError(RuntimeError):
    """The board cannot be rendered (no published copy, no board marts, no such session): one line, cause + fix."""


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any]) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _check_marts(connection: duckdb.DuckDBPyConnection, published: Path) -> None:
    present = {
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    missing = [name for name in BOARD_MARTS if name not in present]
    if missing:
        raise BoardError(
            f"{published} lacks the board marts {', '.join(missing)}: build them "
            "(dbt build --selector live_board) and publish them before rendering the board"
        )


def latest_session(connection: duckdb.DuckDBPyConnection) -> int | None:
    """The session the board shows by default: the latest-scheduled one that has started, else the latest one."""
    found = connection.execute(
        """
        select session_key
        from marts.board_sessions
        order by session_status != 'not_started' desc, scheduled_start_at desc nulls last, session_key desc
        limit 1
        """
    ).fetchone()
    return None if found is None else int(found[0])


def board_data(connection: duckdb.DuckDBPyConnection, session_key: int) -> dict[str, Any]:
    """Everything the page shows for one session, as rows of the board's marts (no arithmetic here)."""
    sessions = _rows(connection, "select * from marts.board_sessions where session_key = ?", [session_key])
    if not sessions:
        raise BoardError(f"session {session_key} is not in board_sessions: pick one the published copy holds")
    cars = _rows(
        connection,
        """
        select running_order.*,
            pit_windows.pit_loss_s, pit_windows.pit_loss_season, pit_windows.rejoin_position,
            pit_windows.positions_lost, pit_windows.undercut_lap_number, pit_windows.undercut_target_driver_number,
            pit_windows.undercut_chance, pit_windows.undercut_threat_driver_number,
            pit_windows.undercut_threat_chance
        from marts.board_running_order as running_order
        left join marts.board_pit_windows as pit_windows
            on running_order.session_key = pit_windows.session_key
            and running_order.driver_number = pit_windows.driver_number
        where running_order.session_key = ?
        order by running_order.position
        """,
        [session_key],
    )
    stints = _rows(
        connection,
        """
        select * from marts.board_stints where session_key = ?
        order by driver_number, stint_number
        """,
        [session_key],
    )
    messages = _rows(
        connection,
        "select * from marts.board_race_control where session_key = ? and message_rank <= ? order by message_rank",
        [session_key, RACE_CONTROL_MESSAGES],
    )
    sectors = _rows(
        connection,
        "select * from marts.board_sector_bests where session_key = ? order by sector_number",
        [session_key],
    )
    codes = {car["driver_number"]: car["driver_code"] or str(car["driver_number"]) for car in cars}
    stints_by_car: dict[int, list[dict[str, Any]]] = {}
    for stint in stints:
        stints_by_car.setdefault(stint["driver_number"], []).append(stint)
    return {
        "session": sessions[0],
        "cars": cars,
        "stints_by_car": stints_by_car,
        "messages": messages,
        "sectors": sectors,
        "codes": codes,
        "has_strategy": any(car["pit_loss_s"] is not None or car["undercut_lap_number"] is not None for car in cars),
    }


def write_atomically(out: Path, text: str) -> Path:
    """Write ``text`` to ``out`` whole: a temp file beside it, flushed, then renamed over it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    return out


def render_board(published: Path, out: Path, session_key: int | None = None, refresh_s: int = 5) -> Path:
    """Render the board of ``session_key`` (None: the latest session) from ``published`` to ``out``; returns out."""
    if not published.exists():
        raise BoardError(f"published copy {published} does not exist: run the live loop (make live) or make build")
    with duckdb.connect(str(published), read_only=True) as connection:
        _check_marts(connection, published)
        key = latest_session(connection) if session_key is None else session_key
        if key is None:
            raise BoardError(f"{published} holds no session in board_sessions: load and build a session first")
        data = board_data(connection, key)
    page = (
        environment()
        .get_template(TEMPLATE)
        .render(
            **data,
            refresh_s=refresh_s,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            source=published.name,
        )
    )
    return write_atomically(out, page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.board", description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, required=True, help="DuckDB file holding the board marts")
    parser.add_argument("--out", type=Path, required=True, help="the page to write, e.g. reports/live/board.html")
    parser.add_argument("--session", type=int, default=None, help="session_key (default: the latest session)")
    parser.add_argument("--refresh", type=int, default=5, help="seconds between the page's reloads")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        page = render_board(args.published, args.out, args.session, args.refresh)
    except BoardError as error:
        print(f"board: {error}", file=sys.stderr)
        return 1
    print(f"board: {page} ({time.perf_counter() - started:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
