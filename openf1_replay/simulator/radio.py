"""Team radio clips: a few per session, with recording URLs shaped like the real ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from openf1_replay.simulator.calendar import Meeting, Session
from openf1_replay.simulator.people import Entry
from openf1_replay.simulator.timefmt import iso


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%d")


def radio_rows(
    rng: np.random.Generator,
    meeting: Meeting,
    session: Session,
    on_track: list[tuple[Entry, int, int]],
    clips_per_driver: float,
) -> list[dict[str, Any]]:
    """Clips while each car is out (``on_track``: entry, from_ms, to_ms); Poisson count per driver."""
    race_day = _day(meeting.session("Race").start_ms)
    folder = (
        f"https://livetiming.formula1.com/static/{meeting.year}/{race_day}_{meeting.name.replace(' ', '_')}/"
        f"{_day(session.start_ms)}_{session.name.replace(' ', '_')}/TeamRadio/"
    )
    rows = []
    for entry, start, end in on_track:
        if end <= start:
            continue
        for moment in sorted(int(m) for m in rng.integers(start, end, int(rng.poisson(clips_per_driver)))):
            recorded = datetime.fromtimestamp((moment - int(rng.integers(5_000, 30_000))) // 1000, tz=UTC)
            rows.append(
                {
                    "meeting_key": meeting.meeting_key,
                    "session_key": session.session_key,
                    "driver_number": entry.number,
                    "date": iso(moment),
                    "recording_url": f"{folder}{entry.driver.driver_id}_{entry.number}_{recorded:%Y%m%d_%H%M%S}.mp3",
                }
            )
    rows.sort(key=lambda row: row["date"])
    return rows
