"""Fetch what is new of a session over REST, endpoint by endpoint, from cursors.

OpenF1 answers with the newest version of each record, and filters *before* picking that version, so the
cursors filter only on fields that never change for a record (``date``, ``lap_number``) and overlap the last
answer (``>=``): a record seen again is merged away by ``records.SessionRecords``. Small tables whose rows
change as the session runs (stints: ``lap_end`` grows; the classification) are fetched whole.

- time series (position, intervals, telemetry): ``date>=`` the newest date seen, less ``OVERLAP`` (a record
  can be published a few seconds after its own time);
- laps: ``lap_number>=`` the lowest lap still being driven by a running car, less one (sector times fill in
  after the next lap has started); a car that stopped lapping ``RETIRED_AFTER`` ago no longer holds it back;
- stints, pit, race control, weather, session_result, drivers: the whole session (a few hundred rows at most;
  a pit row is published when the car leaves the lane, after rows dated later).

The cursors stand on what came over REST only (``seen``), never on what MQTT brought meanwhile: after a
reconnect the backfill asks from where REST last stopped, so the records published while MQTT was away are
asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from live.records import SessionRecords, parse_time
from openf1_api import OpenF1Client

OVERLAP = timedelta(seconds=10)
RETIRED_AFTER = timedelta(minutes=10)
TIME_SERIES = ("position", "intervals", "car_data", "location")
# what a cycle asks for, in this order (the list; telemetry only when asked for)
LIVE_ENDPOINTS = ("laps", "intervals", "position", "pit", "stints", "race_control", "weather", "session_result")
TELEMETRY_ENDPOINTS = ("car_data", "location")


@dataclass
class RestFeed:
    """One request per endpoint per ``fetch``; ``requests`` counts them (the budget is the client's limiter)."""

    client: OpenF1Client
    records: SessionRecords
    endpoints: Sequence[str]
    requests: int = 0
    seen: SessionRecords | None = None  # what came over REST: the cursors' ground

    def __post_init__(self) -> None:
        if self.seen is None:
            self.seen = SessionRecords(self.records.session_key)

    def fetch(self, endpoints: Sequence[str] | None = None, on_done: Callable[[str, int], None] | None = None) -> int:
        """Fetch ``endpoints`` (default all) from their cursors and merge them; returns the records new or
        changed. An error (the server gone, a refused token) propagates: the cursors are untouched, so the
        next call asks again from the same place (no gap) and the merge drops what comes twice."""
        changed = 0
        for name in endpoints or self.endpoints:
            answer = self.client.get(name, self.query(name))
            self.requests += 1
            new = self.records.merge(name, answer)
            assert self.seen is not None
            self.seen.merge(name, answer)
            changed += new
            if on_done is not None:
                on_done(name, new)
        return changed

    def query(self, name: str) -> list[tuple[str, str, object]]:
        filters: list[tuple[str, str, object]] = [("session_key", "=", self.records.session_key)]
        if name in TIME_SERIES:
            newest = self._newest_date(name)
            if newest is not None:
                filters.append(("date", ">=", (newest - OVERLAP).isoformat()))
        elif name == "laps":
            lap = self.lowest_open_lap()
            if lap is not None and lap > 1:
                filters.append(("lap_number", ">=", lap))
        return filters

    def _newest_date(self, name: str) -> datetime | None:
        assert self.seen is not None
        dates = (parse_time(r.get("date")) for r in self.seen.rows(name))
        return max((d for d in dates if d is not None), default=None)

    def lowest_open_lap(self) -> int | None:
        """One below the lowest lap a running car is on (None before any lap)."""
        assert self.seen is not None
        laps = self.seen.rows("laps")
        if not laps:
            return None
        last: dict[int, tuple[int, datetime | None]] = {}
        for lap in laps:
            driver, number = lap["driver_number"], lap["lap_number"]
            if driver not in last or number > last[driver][0]:
                last[driver] = (number, parse_time(lap.get("date_start")))
        newest_start = max((start for _, start in last.values() if start is not None), default=None)
        running = [
            number
            for number, start in last.values()
            if newest_start is None or start is None or newest_start - start <= RETIRED_AFTER
        ]
        return max(1, min(running or [n for n, _ in last.values()]) - 1)
