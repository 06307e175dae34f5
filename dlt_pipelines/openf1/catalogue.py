"""The OpenF1 endpoint catalogue: what each endpoint is keyed by and how its columns are typed.

This is the contract between the loader and dbt's staging layer: raw tables in ``raw_openf1`` are named after
the endpoints and keep OpenF1's field names; the types below are declared to dlt so that timestamps land as
timestamps, booleans as booleans, and OpenF1's list- or mixed-typed fields as JSON (staging parses them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TIMESTAMP: dict[str, Any] = {"data_type": "timestamp", "timezone": True}
BIGINT: dict[str, Any] = {"data_type": "bigint"}
DOUBLE: dict[str, Any] = {"data_type": "double"}
TEXT: dict[str, Any] = {"data_type": "text"}
BOOL: dict[str, Any] = {"data_type": "bool"}
JSON: dict[str, Any] = {"data_type": "json"}

_SESSION_KEYS = {"meeting_key": BIGINT, "session_key": BIGINT}
_PLACE = {
    "circuit_key": BIGINT,
    "circuit_short_name": TEXT,
    "circuit_type": TEXT,
    "country_code": TEXT,
    "country_key": BIGINT,
    "country_name": TEXT,
    "location": TEXT,
    "gmt_offset": TEXT,
    "is_cancelled": BOOL,
    "year": BIGINT,
    "date_start": TIMESTAMP,
    "date_end": TIMESTAMP,
}


@dataclass(frozen=True)
class Endpoint:
    """One OpenF1 endpoint as the warehouse loads it."""

    name: str
    primary_key: tuple[str, ...]
    columns: dict[str, dict[str, Any]]
    per_session: bool = True  # fetched with session_key=... (children of sessions)
    telemetry: bool = False  # high volume: opt-in, fetched per driver in time windows, loaded as Arrow
    hashed_key: bool = False  # no reliable natural key: primary key is a hash of all fields
    # Results the stewards can change after the session (penalties, DSQs, appeals: OpenF1 #242): fetched again
    # until the loader's amendment window after the session has passed, not only until it settles
    amendable: bool = False
    description: str = ""
    # Fields whose JSON type varies (a float, a '+1 LAP' string, or a [Q1, Q2, Q3] array): loaded as JSON text
    # ("84.542", "+1 LAP", "[84.1, 83.9, null]") so no value is lost to a type clash; staging parses them.
    mixed: tuple[str, ...] = field(default=())

    @property
    def timestamps(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.columns.items() if spec["data_type"] == "timestamp")

    @property
    def table(self) -> str:
        return self.name


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint(
            "meetings",
            ("meeting_key",),
            {
                **_PLACE,
                "meeting_key": BIGINT,
                "meeting_name": TEXT,
                "meeting_official_name": TEXT,
                "meeting_code": TEXT,
                "circuit_image": TEXT,
                "circuit_info_url": TEXT,
                "country_flag": TEXT,
            },
            per_session=False,
            description="Grand Prix weekends and testing events",
        ),
        Endpoint(
            "sessions",
            ("session_key",),
            {**_PLACE, **_SESSION_KEYS, "session_name": TEXT, "session_type": TEXT},
            per_session=False,
            description="Practice, qualifying, sprint and race sessions",
        ),
        Endpoint(
            "drivers",
            ("session_key", "driver_number"),
            {
                **_SESSION_KEYS,
                "driver_number": BIGINT,
                "broadcast_name": TEXT,
                "full_name": TEXT,
                "first_name": TEXT,
                "last_name": TEXT,
                "name_acronym": TEXT,
                "team_name": TEXT,
                "team_colour": TEXT,
                "headshot_url": TEXT,
                "country_code": TEXT,
            },
            description="Drivers taking part in each session",
        ),
        Endpoint(
            "laps",
            ("session_key", "driver_number", "lap_number"),
            {
                **_SESSION_KEYS,
                "driver_number": BIGINT,
                "lap_number": BIGINT,
                "date_start": TIMESTAMP,
                "lap_duration": DOUBLE,
                "duration_sector_1": DOUBLE,
                "duration_sector_2": DOUBLE,
                "duration_sector_3": DOUBLE,
                "i1_speed": BIGINT,
                "i2_speed": BIGINT,
                "st_speed": BIGINT,
                "is_pit_out_lap": BOOL,
                "segments_sector_1": JSON,
                "segments_sector_2": JSON,
                "segments_sector_3": JSON,
            },
            description="Lap times, sectors and speed traps",
        ),
        Endpoint(
            "stints",
            ("session_key", "driver_number", "stint_number"),
            {
                **_SESSION_KEYS,
                "driver_number": BIGINT,
                "stint_number": BIGINT,
                "lap_start": BIGINT,
                "lap_end": BIGINT,
                "compound": TEXT,
                "tyre_age_at_start": BIGINT,
            },
            description="Tyre stints",
        ),
        Endpoint(
            "pit",
            ("session_key", "driver_number", "date"),
            {
                **_SESSION_KEYS,
                "driver_number": BIGINT,
                "lap_number": BIGINT,
                "date": TIMESTAMP,
                "lane_duration": DOUBLE,
                "pit_duration": DOUBLE,
                "stop_duration": DOUBLE,
            },
            description="Pit-lane passages (lane time, stationary time)",
        ),
        Endpoint(
            "position",
            ("session_key", "date", "driver_number"),
            {**_SESSION_KEYS, "date": TIMESTAMP, "driver_number": BIGINT, "position": BIGINT},
            description="Position changes",
        ),
        Endpoint(
            "intervals",
            ("session_key", "date", "driver_number"),
            {**_SESSION_KEYS, "date": TIMESTAMP, "driver_number": BIGINT, "gap_to_leader": TEXT, "interval": TEXT},
            mixed=("gap_to_leader", "interval"),
            description="Gaps to the leader and to the car ahead (seconds, or '+N LAP' strings) in races",
        ),
        Endpoint(
            "car_data",
            ("session_key", "driver_number", "date"),
            {
                **_SESSION_KEYS,
                "date": TIMESTAMP,
                "driver_number": BIGINT,
                "rpm": BIGINT,
                "speed": BIGINT,
                "n_gear": BIGINT,
                "throttle": BIGINT,
                "brake": BIGINT,
                "drs": BIGINT,
            },
            telemetry=True,
            description="Car telemetry at about 3.7 Hz",
        ),
        Endpoint(
            "location",
            ("session_key", "driver_number", "date"),
            {**_SESSION_KEYS, "date": TIMESTAMP, "driver_number": BIGINT, "x": BIGINT, "y": BIGINT, "z": BIGINT},
            telemetry=True,
            description="Car positions on track at about 3.7 Hz",
        ),
        Endpoint(
            "weather",
            ("session_key", "date"),
            {
                **_SESSION_KEYS,
                "date": TIMESTAMP,
                "air_temperature": DOUBLE,
                "track_temperature": DOUBLE,
                "humidity": DOUBLE,
                "pressure": DOUBLE,
                "rainfall": BIGINT,
                "wind_direction": BIGINT,
                "wind_speed": DOUBLE,
            },
            description="Weather samples about once a minute",
        ),
        Endpoint(
            "race_control",
            ("record_hash",),
            {
                **_SESSION_KEYS,
                "record_hash": TEXT,
                "date": TIMESTAMP,
                "driver_number": BIGINT,
                "lap_number": BIGINT,
                "sector": BIGINT,
                "category": TEXT,
                "flag": TEXT,
                "scope": TEXT,
                "message": TEXT,
                "qualifying_phase": BIGINT,
            },
            hashed_key=True,
            description="Race control messages: flags, safety cars, penalties",
            amendable=True,
        ),
        Endpoint(
            "team_radio",
            ("session_key", "date", "driver_number"),
            {**_SESSION_KEYS, "date": TIMESTAMP, "driver_number": BIGINT, "recording_url": TEXT},
            description="Selected team radio clips",
        ),
        Endpoint(
            "overtakes",
            ("session_key", "date", "overtaking_driver_number", "overtaken_driver_number"),
            {
                **_SESSION_KEYS,
                "date": TIMESTAMP,
                "overtaking_driver_number": BIGINT,
                "overtaken_driver_number": BIGINT,
                "position": BIGINT,
            },
            description="Overtakes in races (including swaps from pit stops and penalties)",
        ),
        Endpoint(
            "session_result",
            ("session_key", "driver_number"),
            {
                **_SESSION_KEYS,
                "driver_number": BIGINT,
                "position": BIGINT,
                "number_of_laps": BIGINT,
                "dnf": BOOL,
                "dns": BOOL,
                "dsq": BOOL,
                "duration": TEXT,
                "gap_to_leader": TEXT,
                "points": DOUBLE,
            },
            mixed=("duration", "gap_to_leader"),
            description="Classification of each session (durations and gaps are arrays in qualifying)",
            amendable=True,
        ),
        Endpoint(
            "starting_grid",
            ("session_key", "driver_number"),
            {**_SESSION_KEYS, "driver_number": BIGINT, "position": BIGINT, "lap_duration": DOUBLE},
            description="Starting grid; its session_key is the qualifying session's",
            amendable=True,
        ),
        Endpoint(
            "championship_drivers",
            ("session_key", "driver_number"),
            {
                **_SESSION_KEYS,
                "driver_number": BIGINT,
                "position_start": BIGINT,
                "position_current": BIGINT,
                "points_start": DOUBLE,
                "points_current": DOUBLE,
            },
            description="Drivers' championship before and after each race (beta)",
            amendable=True,
        ),
        Endpoint(
            "championship_teams",
            ("record_hash",),
            {
                **_SESSION_KEYS,
                "record_hash": TEXT,
                "team_name": TEXT,
                "position_start": BIGINT,
                "position_current": BIGINT,
                "points_start": DOUBLE,
                "points_current": DOUBLE,
            },
            hashed_key=True,
            description="Constructors' championship before and after each race (beta; team_name can be null)",
            amendable=True,
        ),
    )
}

TELEMETRY = tuple(name for name, e in ENDPOINTS.items() if e.telemetry)
AMENDABLE = tuple(name for name, e in ENDPOINTS.items() if e.amendable)


def get(name: str) -> Endpoint:
    """The endpoint called ``name``, or a ValueError that lists the known ones."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise ValueError(f"unknown endpoint {name!r}; choose from: {', '.join(ENDPOINTS)}") from None
