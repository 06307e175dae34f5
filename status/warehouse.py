"""What the working file holds: seasons, meetings and sessions loaded, and dlt's last load.

The working file belongs to the build. It is opened read-only and only if that succeeds at once: DuckDB refuses
a second process while a writer holds the file (it never waits), and that refusal names the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from serving.buildlock import is_held, read_holder
from serving.holder import LOCK_HOLDER, command_line

RAW_SCHEMA = "raw_openf1"
# what a build runs while it holds the working file: the loader (python -m), dbt (its script or module)
BUILD_MODULES = ("dlt_pipelines.pipeline", "dbt.cli.main")
BUILD_PROGRAMS = ("dbt",)


@dataclass(frozen=True)
class Holdings:
    """Seasons, meetings and sessions: what the working file's raw sessions table (or the copy's marts) holds."""

    seasons: tuple[int, ...]
    meetings: int
    sessions: int

    def describe(self) -> str:
        if not self.seasons:
            return "no sessions"
        years = self.seasons
        span = (
            str(years[0])
            if len(years) == 1
            else f"{years[0]}-{years[-1]}"
            if _consecutive(years)
            else ", ".join(map(str, years))
        )
        return f"season{'s' if len(years) > 1 else ''} {span}, {self.meetings} meetings, {self.sessions} sessions"


def _consecutive(years: tuple[int, ...]) -> bool:
    return list(years) == list(range(years[0], years[-1] + 1))


@dataclass(frozen=True)
class LastLoad:
    load_id: str
    inserted_at: datetime
    loads: int  # loads that completed, this one included


@dataclass(frozen=True)
class WorkingFile:
    """The working file as this process could see it: ``missing``, ``held`` (by ``holder``) or read."""

    path: Path
    state: str  # missing | held | read | unreadable
    holder: str = ""  # held: "PID n (command line)"; unreadable: DuckDB's first line
    holder_is_build: bool = False
    holdings: Holdings | None = None
    last_load: LastLoad | None = None


def is_build(command: str) -> bool:
    """Whether a command line is one a build runs (the loader or dbt), from its words."""
    words = command.split()
    return any(word in BUILD_MODULES or word.rsplit("/", 1)[-1] in BUILD_PROGRAMS for word in words)


def holder_of(error: str) -> tuple[int, str] | None:
    """(PID, command line) of the process a DuckDB lock error names, or None when it is not one."""
    match = LOCK_HOLDER.search(error)
    if not match:
        return None
    pid = int(match["pid"])
    return pid, command_line(pid) or match["program"]


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?"
    return con.execute(query, [RAW_SCHEMA, name]).fetchone()[0] > 0


def read_holdings(con: duckdb.DuckDBPyConnection, sessions_table: str, season_column: str) -> Holdings:
    """Seasons, meetings and sessions of a sessions table (``raw_openf1.sessions`` or ``marts.dim_sessions``)."""
    seasons = con.execute(
        f"select distinct {season_column} from {sessions_table} where {season_column} is not null order by 1"
    ).fetchall()
    meetings, sessions = con.execute(
        f"select count(distinct meeting_key), count(distinct session_key) from {sessions_table}"
    ).fetchone()
    return Holdings(tuple(int(year) for (year,) in seasons), int(meetings), int(sessions))


def read_working_file(path: Path, build_lock: Path | None = None) -> WorkingFile:
    """Open ``path`` read-only without waiting; its holdings and last load, or why it could not be read.

    While a build holds the warehouse's build lock the file is left alone (opening it, even read-only, for a
    moment could make that build's next step find it in use): the lock names the build."""
    if build_lock is not None and is_held(build_lock):
        holder = read_holder(build_lock)
        return WorkingFile(path, "held", holder.describe() if holder else "a build", holder_is_build=True)
    if not path.is_file():
        return WorkingFile(path, "missing")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        holder = holder_of(str(error))
        if holder:
            pid, command = holder
            return WorkingFile(path, "held", f"PID {pid} ({command})", holder_is_build=is_build(command))
        return WorkingFile(path, "unreadable", str(error).splitlines()[0])
    try:
        holdings = (
            read_holdings(con, f"{RAW_SCHEMA}.sessions", "year")
            if _table_exists(con, "sessions")
            else Holdings((), 0, 0)
        )
        last_load = None
        if _table_exists(con, "_dlt_loads"):
            row = con.execute(
                f"select load_id, inserted_at, count(*) over () from {RAW_SCHEMA}._dlt_loads where status = 0"
                " order by inserted_at desc, load_id desc limit 1"
            ).fetchone()
            if row:
                last_load = LastLoad(str(row[0]), row[1], int(row[2]))
    finally:
        con.close()
    return WorkingFile(path, "read", holdings=holdings, last_load=last_load)
