"""Telemetry tables are appended to, not merged: this keeps each session's rows of its latest completed load.

dlt's merge copies every loaded row twice (into a staging table, then into the table), which for a season of
telemetry costs as much as parsing it. Appending writes each row once; loading a session again then leaves
its older rows beside the new ones until ``drop_superseded`` deletes them. Rows of a load that never completed
(a package that failed or was dropped; it is not in ``_dlt_loads`` with status 0) go too, so a half-finished
load never wins over the complete one before it. Until then the staging models keep the newest load's row per
key, so the marts never see two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

_LOAD_ID = re.compile(r"\d+(\.\d+)?")


def drop_superseded(pipeline: dlt.Pipeline, tables: Iterable[str]) -> dict[str, int]:
    """Delete, from each of ``tables`` (session_key and _dlt_load_id columns), the rows of every session that
    are not of its latest completed load. Returns rows deleted per table (tables not yet created are skipped)."""
    deleted: dict[str, int] = {}
    with pipeline.sql_client() as client:
        loads = client.make_qualified_table_name("_dlt_loads")
        completed = {str(row[0]) for row in client.execute_sql(f"select load_id from {loads} where status = 0")}
        for table in tables:
            name = client.make_qualified_table_name(table)
            try:
                loaded = client.execute_sql(
                    f"select session_key, _dlt_load_id, count(*) from {name} group by session_key, _dlt_load_id"
                )
            except DatabaseUndefinedRelation:
                continue
            newest: dict[int, str] = {}
            for session, load_id, _ in loaded:
                # load ids are the package's start time in seconds: the newest sorts last
                if load_id in completed and float(load_id) > float(newest.get(session, "0")):
                    newest[session] = load_id
            stale = [
                (int(session), str(load_id), n) for session, load_id, n in loaded if load_id != newest.get(session)
            ]
            for session, load_id, _ in stale:
                if not _LOAD_ID.fullmatch(load_id):
                    raise ValueError(f"{table}: unexpected _dlt_load_id {load_id!r}")
                client.execute_sql(f"delete from {name} where session_key = {session} and _dlt_load_id = '{load_id}'")
            if stale:
                deleted[table] = sum(n for *_, n in stale)
    return deleted
