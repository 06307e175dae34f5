"""Write each feature table to ``<out>/<table>.parquet`` with a ``split`` column ("train" / "test").

The split is by time, by race weekend: the Grand Prix races are ordered by start, the last
``test_fraction`` of them (rounded up, at least one, at most all but one) are test, and every row of those
weekends (practice, qualifying, sprint, race, their laps and stints) is ``test``; everything earlier is
``train``. A model trained on ``train`` has therefore never seen any session of a test weekend.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

FEATURE_TABLES = (
    "driver_race_features",
    "race_context_features",
    "lap_telemetry_features",
    "stint_features",
    "driver_performance_features",
    "telemetry_aggregates",
    "race_strategy_features",
)


def split_meetings(con: duckdb.DuckDBPyConnection, test_fraction: float) -> tuple[list[int], list[int]]:
    """The (train, test) meeting_keys: the race weekends in start order, the last ``test_fraction`` as test."""
    rows = con.execute(
        "select meeting_key from features.race_context_features order by race_started_at, race_session_key"
    ).fetchall()
    meetings = [row[0] for row in rows]
    if not meetings:
        return [], []
    n_test = min(max(1, math.ceil(len(meetings) * test_fraction)), max(len(meetings) - 1, 1))
    if len(meetings) == 1:
        n_test = 0
    return meetings[: len(meetings) - n_test], meetings[len(meetings) - n_test :]


def export_features(warehouse: Path, out: Path, test_fraction: float = 0.2) -> dict[str, int]:
    """Export every feature table; returns rows written per table."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        _, test = split_meetings(con, test_fraction)
        con.execute("create temporary table test_meetings (meeting_key integer)")
        if test:
            con.executemany("insert into test_meetings values (?)", [(key,) for key in test])
        written: dict[str, int] = {}
        for table in FEATURE_TABLES:
            target = out / f"{table}.parquet"
            tmp = out / f".{table}.parquet.tmp"
            con.execute(
                f"""
                copy (
                    select
                        features.*,
                        case when test_meetings.meeting_key is null then 'train' else 'test' end as split
                    from features.{table} as features
                    left join test_meetings on features.meeting_key = test_meetings.meeting_key
                ) to '{tmp.as_posix()}' (format parquet)
                """
            )
            tmp.replace(target)
            written[table] = con.execute(f"select count(*) from features.{table}").fetchone()[0]
        return written
    finally:
        con.close()
