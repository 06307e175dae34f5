"""Qualifying pages: one per qualifying and sprint-qualifying session (``pages.qualifying_path``).

SELECTs from ``marts.qualifying_sessions`` and ``marts.qualifying_session_results`` (and ``dim_meetings`` for the
meeting's name) and arranges the rows for ``templates/qualifying.html``: team colours, driver page links, the
first car of each knock-out group (where the page draws a line). Every number shown is a mart column.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from reports import charts_qualifying, pages, telemetry
from reports.queries import Marts, Row

TEMPLATE = "qualifying.html"


def sessions(marts: Marts) -> list[Row]:
    """Qualifying and sprint-qualifying sessions of a championship round, in season, round and start order."""
    return marts.rows(
        """
        select
            qualifying.*,
            meetings.meeting_name,
            meetings.circuit_short_name,
            meetings.country_name
        from marts.qualifying_sessions as qualifying
        inner join marts.dim_meetings as meetings
            on qualifying.meeting_key = meetings.meeting_key
        where qualifying.round_number is not null and not qualifying.is_cancelled
        order by qualifying.season, qualifying.round_number, qualifying.started_at, qualifying.session_key
        """
    )


def results(marts: Marts, session_key: int) -> list[Row]:
    """The session's drivers in classification order (cars without a position last, deepest phase first)."""
    return marts.per_session(
        session_key,
        """
        select *
        from marts.qualifying_session_results
        order by
            session_key,
            qualifying_position nulls last,
            phase_reached desc,
            best_duration_s nulls last,
            driver_number
        """,
    )


def title(session: Row) -> str:
    return f"{session['meeting_name']} {session['season']} · {session['session_name']}"


def link(session: Row) -> dict[str, str]:
    return {"path": pages.qualifying_path(session), "title": title(session), "session_name": session["session_name"]}


def index_links(all_sessions: list[Row]) -> dict[tuple[int, int], list[dict[str, str]]]:
    """(season, round) -> the links to that round's qualifying pages, for the index's Reports cell."""
    links: dict[tuple[int, int], list[dict[str, str]]] = {}
    for session in all_sessions:
        links.setdefault((session["season"], session["round_number"]), []).append(link(session))
    return links


def _arrange(rows: list[Row], season: int, colours: pages.Colours) -> None:
    """Colours, driver page links and the knock-out line above the first car of each eliminated group."""
    previous: str | None = None
    for row in rows:
        row["colour"] = colours.team(season, row["team_name"])
        row["driver_path"] = pages.driver_path(season, row["driver_id"])
        row["teammate_path"] = pages.driver_path(season, row["teammate_driver_id"])
        phase = row["phase_reached"]
        row["line_above"] = phase if previous is not None and phase != previous else None
        previous = phase


def gap_chart(rows: list[Row]) -> Markup | None:
    bars = [
        charts_qualifying.GapBar(
            row["driver_code"] or str(row["driver_number"]),
            row["driver_code"] or str(row["driver_number"]),
            row["colour"],
            row["gap_to_pole_s"],
            row["gap_to_pole_pct"],
            row["line_above"],
        )
        for row in rows
        if row["gap_to_pole_s"] is not None
    ]
    return charts_qualifying.gap_to_pole_chart(bars) if bars else None


def _find(rows: list[Row], driver_number: int | None) -> Row | None:
    return next((row for row in rows if driver_number is not None and row["driver_number"] == driver_number), None)


def context(marts: Marts, session: Row, colours: pages.Colours) -> dict[str, Any]:
    season = session["season"]
    rows = results(marts, session["session_key"])
    _arrange(rows, season, colours)
    on_grid = (row for row in rows if row["grid_position"] is not None)
    grid = sorted(on_grid, key=lambda row: (row["grid_position"], row["driver_number"]))
    teams = sorted(rows, key=lambda row: (row["team_name"] or "", row["driver_number"]))
    return {
        "session": session,
        "results": rows,
        "grid": grid,
        "teams": teams,
        "gap_chart": gap_chart(rows),
        "season_path": pages.season_path(season),
        "fastest_qualifier": _find(rows, session["fastest_qualifier_driver_number"]),
        "pole_sitter": _find(rows, session["pole_sitter_driver_number"]),
        "telemetry": telemetry.section_context(marts, session["session_key"], colours),
    }
