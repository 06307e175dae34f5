"""Which session to follow, and where it stands: by its status in race control, never by the clock.

OpenF1 marks a session's course in race control (category ``SessionStatus``: "SESSION STARTED", "SESSION
FINISHED", "SESSION ABORTED" …); the ``sessions`` timetable is refreshed only daily, and sessions do start early
or run late. So a session is running once a ``SESSION STARTED`` row (or, in data older than those rows, any lap
or position) is there, and over once ``SESSION FINISHED`` is, or, without status rows, once the chequered flag
has been shown and nothing new came for ``QUIET_END``. A red flag stops the data: the loop then only polls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from live.records import SessionRecords, parse_time
from openf1_api import OpenF1Client, OpenF1Error

QUIET_END = timedelta(minutes=10)  # no status rows: chequered flag, then this long without a new record


class Phase(Enum):
    WAITING = "waiting"
    RUNNING = "running"
    RED_FLAG = "red flag"
    FINISHED = "finished"


@dataclass(frozen=True)
class Followed:
    """The session a live run follows (its ``sessions`` row) and its meeting's row."""

    session: dict[str, Any]
    meeting: dict[str, Any]

    @property
    def key(self) -> int:
        return int(self.session["session_key"])

    @property
    def label(self) -> str:
        name = self.meeting.get("meeting_name") or self.session.get("location") or "?"
        return f"{self.session.get('year', '')} {name} {self.session.get('session_name', '')} ({self.key})".strip()

    @property
    def scheduled_start(self) -> datetime | None:
        return parse_time(self.session.get("date_start"))


def find_session(client: OpenF1Client, spec: str) -> Followed:
    """``spec``: a session_key, or ``latest`` (the server's latest session; when that one has already finished,
    the next one on the timetable)."""
    if spec != "latest":
        try:
            key = int(spec)
        except ValueError:
            raise OpenF1Error(f"SESSION={spec}: give a session_key or latest") from None
        rows = client.get("sessions", {"session_key": key})
        if not rows:
            raise OpenF1Error(f"{client.source_label} has no session {key}: check SESSION (make live SESSION=latest)")
        return _with_meeting(client, rows[0])
    rows = client.get("sessions", {"session_key": "latest"})
    if not rows:
        raise OpenF1Error(f"{client.source_label} has no sessions yet: try again later or give SESSION=<key>")
    latest = rows[0]
    if _finished(client, latest):
        upcoming = _next_session(client, latest)
        if upcoming is not None:
            return _with_meeting(client, upcoming)
    return _with_meeting(client, latest)


def _with_meeting(client: OpenF1Client, session: dict[str, Any]) -> Followed:
    meetings = client.get("meetings", {"meeting_key": session["meeting_key"]})
    return Followed(session, meetings[0] if meetings else {"meeting_key": session["meeting_key"]})


def _finished(client: OpenF1Client, session: dict[str, Any]) -> bool:
    rows = client.get("race_control", {"session_key": session["session_key"]})
    return status_of(rows) == "FINISHED" or bool(client.get("session_result", {"session_key": session["session_key"]}))


def _next_session(client: OpenF1Client, after: dict[str, Any]) -> dict[str, Any] | None:
    rows = client.get("sessions", [("date_start", ">", after["date_start"])])
    rows = [r for r in rows if not r.get("is_cancelled")]
    return min(rows, key=lambda r: (r["date_start"], r["session_key"]), default=None)


def status_of(race_control: list[dict[str, Any]]) -> str | None:
    """The session's latest status ("STARTED", "FINISHED", "ABORTED", …) from its SessionStatus rows."""
    rows = [r for r in race_control if r.get("category") == "SessionStatus" and r.get("message")]
    if not rows:
        return None
    latest = max(rows, key=lambda r: (str(r.get("date") or ""), str(r.get("message"))))
    return str(latest["message"]).upper().removeprefix("SESSION ").strip()


def is_qualifying(session: dict[str, Any] | None) -> bool:
    name = f"{(session or {}).get('session_type', '')} {(session or {}).get('session_name', '')}".lower()
    return "qualifying" in name or "shootout" in name


def phase(records: SessionRecords, server_now: datetime | None, session: dict[str, Any] | None = None) -> Phase:
    """Where the session stands, from what was received (and the server's clock for the quiet rule).

    Qualifying may mark each part "SESSION FINISHED": there it ends only with its third part's (or, without
    ``qualifying_phase``, once nothing new came for ``QUIET_END`` after it)."""
    race_control = records.rows("race_control")
    status = status_of(race_control)
    if status == "FINISHED":
        if not is_qualifying(session):
            return Phase.FINISHED
        finished = max(
            (r for r in race_control if r.get("category") == "SessionStatus"),
            key=lambda r: (str(r.get("date") or ""), str(r.get("message"))),
        )
        part = finished.get("qualifying_phase")
        newest = newest_record(records)
        quiet = server_now is not None and newest is not None and server_now - newest >= QUIET_END
        if part == 3 or (part is None and quiet):
            return Phase.FINISHED
        return Phase.RUNNING
    started = status in ("STARTED", "RESUMED") or bool(records.rows("laps") or records.rows("position"))
    if not started and status is None:
        return Phase.WAITING
    flags = sorted(
        (str(r.get("date") or ""), str(r.get("flag") or ""))
        for r in race_control
        if r.get("category") == "Flag" and r.get("scope") in (None, "Track")
    )
    if status is None and any(flag == "CHEQUERED" for _, flag in flags) and server_now is not None:
        newest = newest_record(records)
        if newest is not None and server_now - newest >= QUIET_END:
            return Phase.FINISHED
    if flags and flags[-1][1] == "RED":
        return Phase.RED_FLAG
    return Phase.RUNNING


def newest_record(records: SessionRecords) -> datetime | None:
    """The latest time any received record carries (laps by their start)."""
    times = [parse_time(records.newest(name, "date")) for name in records.endpoints]
    times.append(parse_time(records.newest("laps", "date_start")))
    return max((t for t in times if t is not None), default=None)
