"""Telemetry tables are appended to, not merged: this deletes each session's rows older than its newest complete load.

dlt's merge copies every loaded row twice (into a staging table, then into the table), which for a season of
telemetry costs as much as parsing it. Appending writes each row once; loading a session again then leaves
its older rows beside the new ones until ``drop_superseded`` deletes them: every row of a session older than
its newest load recorded as complete in ``_dlt_loads`` (status 0), whether that older load completed or was
abandoned half-way. Rows newer than a session's newest complete load are left alone: they may belong to a load
still running (another run on the same warehouse). The telemetry staging models read each session's newest
complete load only, so none of these rows ever reach the marts, deleted or not.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

_LOAD_ID = re.compile(r"\d+(\.\d+)?")


def drop_superseded(
    pipeline: dlt.Pipeline, tables: Iterable[str], sessions: Collection[int] | None = None
) -> dict[str, int]:
    """Delete, from each of ``tables`` (session_key and _dlt_load_id columns), every session's rows of loads
    older than its newest complete load, in one statement per table. Returns rows deleted per table (tables
    not yet created are skipped). ``sessions``: only those (the sessions this run loaded: no other session can
    have gained a newer load), so the cost follows the run, not the history; None: every session."""
    deleted: dict[str, int] = {}
    if sessions is not None and not sessions:
        return deleted
    only = "" if sessions is None else f" where session_key in ({', '.join(str(int(s)) for s in sorted(sessions))})"
    with pipeline.sql_client() as client:
        loads = client.make_qualified_table_name("_dlt_loads")
        completed = {str(row[0]) for row in client.execute_sql(f"select load_id from {loads} where status = 0")}
        for table in tables:
            name = client.make_qualified_table_name(table)
            try:
                loaded = client.execute_sql(
                    f"select session_key, _dlt_load_id, count(*) from {name}{only} group by session_key, _dlt_load_id"
                )
            except DatabaseUndefinedRelation:
                continue
            if loaded is None:  # BigQuery's client answers None for a table not created yet (no telemetry loaded)
                continue
            newest: dict[int, float] = {}
            for session, load_id, _ in loaded:
                if load_id in completed:  # load ids are the load's start time in seconds
                    newest[session] = max(newest.get(session, 0.0), float(load_id))
            stale = [
                (int(session), str(load_id), int(rows))
                for session, load_id, rows in loaded
                if session in newest and float(load_id) < newest[session]
            ]
            if not stale:
                continue
            for _, load_id, _ in stale:
                if not _LOAD_ID.fullmatch(load_id):
                    raise ValueError(f"{table}: unexpected _dlt_load_id {load_id!r}")
            pairs = " or ".join(f"(session_key = {s} and _dlt_load_id = '{load_id}')" for s, load_id, _ in stale)
            client.execute_sql(f"delete from {name} where {pairs}")
            deleted[table] = sum(rows for *_, rows in stale)
    return deleted
