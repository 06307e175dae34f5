"""What to load: the meetings and sessions selected by SEASON / MEETING / SESSION, and the endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dlt_pipelines.openf1 import catalogue
from openf1_api.client import OpenF1Client

FIRST_SEASON = 2023  # OpenF1's historical data starts with the 2023 season


class ScopeError(ValueError):
    """A scope that selects nothing or cannot be valid; the message names the fix."""


@dataclass(frozen=True)
class Scope:
    season: int | None = None
    meeting: str | None = None  # a meeting_key or "latest"
    session: str | None = None  # a session_key or "latest"
    endpoints: tuple[str, ...] = field(default_factory=tuple)


def _key(name: str, value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value == "latest" or str(value).isdigit():
        return str(value)
    raise ScopeError(f"{name}={value} is not a key: give a number or 'latest'")


def parse_scope(
    season: str | None, meeting: str | None, session: str | None, endpoints: str | None, telemetry: bool
) -> Scope:
    year: int | None = None
    if season not in (None, ""):
        if not str(season).isdigit():
            raise ScopeError(f"SEASON={season} is not a year: give e.g. SEASON=2024")
        year = int(str(season))
        if year < FIRST_SEASON:
            raise ScopeError(f"SEASON={year} is before OpenF1's data, which starts in {FIRST_SEASON}: pick a later one")
    return Scope(year, _key("MEETING", meeting), _key("SESSION", session), _endpoints(endpoints, telemetry))


def _endpoints(spec: str | None, telemetry: bool) -> tuple[str, ...]:
    if spec:
        names = [n.strip() for n in spec.split(",") if n.strip()]
        unknown = [n for n in names if n not in catalogue.ENDPOINTS]
        if unknown:
            raise ScopeError(f"ENDPOINTS: unknown {', '.join(unknown)}; choose from {', '.join(catalogue.ENDPOINTS)}")
        chosen = set(names) | ({*catalogue.TELEMETRY} if telemetry else set())
    else:
        chosen = {n for n, e in catalogue.ENDPOINTS.items() if not e.telemetry or telemetry}
    return tuple(n for n in catalogue.ENDPOINTS if n in chosen)


def _filters(scope: Scope) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if scope.season is not None:
        filters["year"] = scope.season
    if scope.meeting is not None:
        filters["meeting_key"] = scope.meeting
    if scope.session is not None:
        filters["session_key"] = scope.session
    return filters


def describe(scope: Scope) -> str:
    parts = [
        f"{k.upper()}={v}"
        for k, v in (("season", scope.season), ("meeting", scope.meeting), ("session", scope.session))
        if v is not None
    ]
    return " ".join(parts) or "everything the source has"


def discover(
    client: OpenF1Client, scope: Scope, source_label: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The meetings and sessions in scope, sessions ordered by start; ScopeError if the scope selects nothing
    (naming the source by ``source_label``: a snapshot's replay server listens on a port of the moment)."""
    sessions = client.get("sessions", _filters(scope))
    if not sessions:
        raise ScopeError(f"no sessions match {describe(scope)} in {source_label}: check the season or keys")
    meeting_keys = sorted({s["meeting_key"] for s in sessions if s.get("meeting_key") is not None})
    meetings = _meetings(client, meeting_keys, sorted({s["year"] for s in sessions if s.get("year") is not None}))
    sessions.sort(key=lambda s: (s.get("date_start") or "", s["session_key"]))
    return meetings, sessions


def _meetings(client: OpenF1Client, keys: Sequence[int], years: Sequence[int]) -> list[dict[str, Any]]:
    """The meetings of ``keys``: one request per year the sessions are of (``year=``), then one per meeting the
    years did not bring (a single meeting is asked for by its key)."""
    wanted = set(keys)
    found: list[dict[str, Any]] = []
    if len(wanted) > 1:
        found = [m for year in years for m in client.get("meetings", {"year": year}) if m.get("meeting_key") in wanted]
    missing = sorted(wanted - {m.get("meeting_key") for m in found})
    return found + [m for key in missing for m in client.get("meetings", {"meeting_key": key})]
