"""Telemetry request windows: OpenF1 aborts queries that run over a few seconds, so car_data and location are
asked for per driver in time windows; the loader and the recorder both ask with these."""

from __future__ import annotations

from datetime import datetime, timedelta

from openf1_api.client import Filter

MARGIN_BEFORE = timedelta(minutes=60)  # cars run reconnaissance laps to the grid well before a race starts
MARGIN_AFTER = timedelta(minutes=30)  # and the in-lap after the flag


def windows(
    start: datetime,
    end: datetime,
    size: timedelta,
    before: timedelta = MARGIN_BEFORE,
    after: timedelta = MARGIN_AFTER,
) -> list[tuple[datetime, datetime]]:
    """Half-open windows of ``size`` tiling [start - before, end + after) without gaps or overlaps."""
    low, end = start - before, end + after
    bounds = []
    while low < end:
        bounds.append((low, min(low + size, end)))
        low += size
    return bounds


def telemetry_queries(
    session_key: int,
    driver: int | None,
    start: datetime,
    end: datetime,
    size: timedelta | None,
    before: timedelta = MARGIN_BEFORE,
    after: timedelta = MARGIN_AFTER,
) -> list[list[Filter]]:
    """The queries for one driver's telemetry of a session, one per window; ``driver`` None asks for every
    driver and ``size`` None for the whole session in one query (a replay server has no time limit)."""
    base: list[Filter] = [("session_key", "=", session_key)]
    if driver is not None:
        base.append(("driver_number", "=", driver))
    if size is None:
        return [base]
    return [
        [*base, ("date", ">=", low.isoformat()), ("date", "<", high.isoformat())]
        for low, high in windows(start, end, size, before, after)
    ]
