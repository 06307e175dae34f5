"""Times as integer milliseconds since the Unix epoch (UTC), formatted the way OpenF1 prints them.

OpenF1 prints Python ``isoformat()`` of UTC datetimes: ``2024-03-02T15:03:49.260000+00:00``, and
``2024-03-02T15:03:49+00:00`` when the fraction is zero. ``iso`` does that for one value;
``iso_column`` does it for a numpy array at telemetry scale (lookup tables + pyarrow, no Python loop).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_MS = 86_400_000


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def iso(ms: int | None) -> str | None:
    """OpenF1's datetime text for ``ms`` (None stays None)."""
    if ms is None:
        return None
    return (EPOCH + timedelta(milliseconds=int(ms))).isoformat()


def iso_seconds(ms: int) -> str:
    """Datetime text truncated to whole seconds, as race_control and the schedule print it."""
    return iso(int(ms) // 1000 * 1000) or ""


def offset_delta(gmt_offset: str) -> timedelta:
    """``'03:00:00'`` / ``'-04:00:00'`` as a timedelta."""
    sign = -1 if gmt_offset.startswith("-") else 1
    hours, minutes, seconds = (int(part) for part in gmt_offset.lstrip("+-").split(":"))
    return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds)


@cache
def _clock_table() -> pa.Array:
    return pa.array([f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)])


@cache
def _fraction_table() -> pa.Array:
    return pa.array(["+00:00"] + [f".{ms:03d}000+00:00" for ms in range(1, 1000)])


def iso_column(ms: np.ndarray) -> pa.Array:
    """``iso`` over an int64 array, as a pyarrow string array (vectorised)."""
    ms = np.asarray(ms, dtype=np.int64)
    day = ms // DAY_MS
    days, day_index = np.unique(day, return_inverse=True)
    day_text = pa.array([(date(1970, 1, 1) + timedelta(days=int(d))).isoformat() + "T" for d in days])
    return pc.binary_join_element_wise(
        pc.take(day_text, pa.array(day_index.astype(np.int32))),
        pc.take(_clock_table(), pa.array(((ms % DAY_MS) // 1000).astype(np.int32))),
        pc.take(_fraction_table(), pa.array((ms % 1000).astype(np.int32))),
        "",
    )
