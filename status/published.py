"""The published copy readers open: which build it holds and since when, what it holds, and which of its
results are provisional (``marts.dim_sessions.is_result_provisional``) or rest on incomplete data
(``marts.session_data_completeness``: an expected endpoint ``partial`` or ``missing`` for a session).

``make publish`` writes a new copy beside it and renames it in: opening it read-only never meets the build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from status.warehouse import Holdings, read_holdings


@dataclass(frozen=True)
class ProvisionalSession:
    season: int
    round_number: int | None
    meeting_name: str
    session_name: str

    def describe(self) -> str:
        at = f"R{self.round_number} " if self.round_number is not None else ""
        return f"{self.season} {at}{self.meeting_name} {self.session_name}"


@dataclass(frozen=True)
class PublishedCopy:
    path: Path
    state: str  # missing | read | unreadable
    problem: str = ""
    published_at: datetime | None = None
    build_finished_at: datetime | None = None
    invocation_id: str = ""
    holdings: Holdings | None = None
    provisional: list[ProvisionalSession] = field(default_factory=list)
    incomplete_sessions: int = 0
    incomplete_endpoints: dict[str, int] = field(default_factory=dict)  # endpoint -> sessions lacking data


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    query = "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?"
    return con.execute(query, [schema, table]).fetchone()[0] > 0


def read_published(path: Path) -> PublishedCopy:
    if not path.is_file():
        return PublishedCopy(path, "missing")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        return PublishedCopy(path, "unreadable", str(error).splitlines()[0])
    try:
        return _read(con, path)
    except duckdb.Error as error:
        return PublishedCopy(path, "unreadable", str(error).splitlines()[0])
    finally:
        con.close()


def _read(con: duckdb.DuckDBPyConnection, path: Path) -> PublishedCopy:
    if not _has(con, "main", "published_build"):
        return PublishedCopy(path, "unreadable", "no main.published_build table: not a copy make publish wrote")
    published_at, finished_at, invocation_id = con.execute(
        "select published_at, dbt_build_finished_at, dbt_invocation_id from main.published_build"
    ).fetchone()
    holdings = read_holdings(con, "marts.dim_sessions", "season") if _has(con, "marts", "dim_sessions") else None
    provisional = []
    if _has(con, "marts", "dim_sessions") and _has(con, "marts", "dim_meetings"):
        rows = con.execute(
            "select dim_sessions.season, dim_sessions.round_number, dim_meetings.meeting_name,"
            " dim_sessions.session_name from marts.dim_sessions"
            " left join marts.dim_meetings on dim_sessions.meeting_key = dim_meetings.meeting_key"
            " where dim_sessions.is_result_provisional"
            " order by dim_sessions.started_at, dim_sessions.session_key"
        ).fetchall()
        provisional = [
            ProvisionalSession(int(season), rnd, name or "?", session) for season, rnd, name, session in rows
        ]
    incomplete_sessions, incomplete_endpoints = 0, {}
    if _has(con, "marts", "session_data_completeness"):
        rows = con.execute(
            "select endpoint, count(distinct session_key) from marts.session_data_completeness"
            " where is_expected and status in ('partial', 'missing') group by endpoint order by 2 desc, 1"
        ).fetchall()
        incomplete_endpoints = {endpoint: int(sessions) for endpoint, sessions in rows}
        incomplete_sessions = con.execute(
            "select count(distinct session_key) from marts.session_data_completeness"
            " where is_expected and status in ('partial', 'missing')"
        ).fetchone()[0]
    return PublishedCopy(
        path,
        "read",
        published_at=published_at,
        build_finished_at=finished_at,
        invocation_id=str(invocation_id),
        holdings=holdings,
        provisional=provisional,
        incomplete_sessions=int(incomplete_sessions),
        incomplete_endpoints=incomplete_endpoints,
    )
