"""Times and paths as status lines show them."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already (DuckDB's ``timestamp`` columns are)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def when(moment: datetime, now: datetime) -> str:
    """``2026-12-05 07:48 UTC (3 min ago)``."""
    moment = as_utc(moment)
    return f"{moment:%Y-%m-%d %H:%M} UTC ({age(now - moment)})"


def age(delta: timedelta) -> str:
    """A timedelta in words: ``just now``, ``12 s ago``, ``3 min ago``, ``5 h ago``, ``2 days ago``."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "in the future: check the clock"
    if seconds < 5:
        return "just now"
    for size, unit in ((86400, "days"), (3600, "h"), (60, "min")):
        if seconds >= size * (2 if unit == "days" else 1):
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def shown(path: Path | str) -> str:
    """``path`` relative to the working directory when it is under it (as the Makefile names it), else as is."""
    text = str(path)
    try:
        return os.path.relpath(text) if Path(text).resolve().is_relative_to(Path.cwd().resolve()) else text
    except ValueError:
        return text
