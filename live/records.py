"""What a live run has received of its session: per endpoint, the newest version of every record.

A record seen twice is kept once (its natural key, from the loader's catalogue: the same key the batch load
dedupes on). A newer version of a record replaces the older: over REST the answer is always the newest version;
over MQTT a message whose ``_key`` was seen before replaces that record even where its natural key changed
(race control's key is a hash of the whole record, so a corrected message would otherwise stay twice).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dlt_pipelines.openf1 import catalogue
from dlt_pipelines.openf1.source import prepare

Record = dict[str, Any]


@dataclass
class EndpointRecords:
    """One endpoint's records of the session, by natural key, and which changed since the last load."""

    endpoint: catalogue.Endpoint
    rows: dict[tuple[Any, ...], Record] = field(default_factory=dict)
    by_message_key: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # MQTT _key -> natural key
    newest_message_id: dict[str, int] = field(default_factory=dict)  # MQTT _key -> the _id kept
    changed: bool = False

    def key(self, record: Record) -> tuple[Any, ...]:
        return tuple(record[name] for name in self.endpoint.primary_key)


@dataclass
class SessionRecords:
    """Every endpoint's records of one session (``merge`` them in; ``take_changed`` hands over what to load)."""

    session_key: int
    endpoints: dict[str, EndpointRecords] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)  # rows without a usable key, as the batch load counts

    def of(self, name: str) -> EndpointRecords:
        if name not in self.endpoints:
            self.endpoints[name] = EndpointRecords(catalogue.get(name))
        return self.endpoints[name]

    def merge(self, name: str, records: list[Record]) -> int:
        """Add REST records (the newest versions); returns how many were new or changed."""
        held = self.of(name)
        records = [r for r in records if r.get("session_key") == self.session_key]
        changed = 0
        for record in prepare([dict(r) for r in records], held.endpoint, self.dropped):
            key = held.key(record)
            if held.rows.get(key) != record:
                held.rows[key] = record
                changed += 1
        held.changed = held.changed or changed > 0
        return changed

    def merge_message(self, name: str, message: Record) -> int:
        """Add one MQTT message (a record plus ``_id`` and ``_key``); an older ``_id`` of a known ``_key`` is
        ignored (QoS 0 can deliver versions out of order after a reconnect's backfill)."""
        message = dict(message)
        message_id, message_key = message.pop("_id", None), message.pop("_key", None)
        if message.get("session_key") != self.session_key:
            return 0
        held = self.of(name)
        if message_key is not None and message_id is not None:
            if held.newest_message_id.get(message_key, -1) > int(message_id):
                return 0
            held.newest_message_id[message_key] = int(message_id)
        prepared = prepare([message], held.endpoint, self.dropped)
        if not prepared:
            return 0
        record = prepared[0]
        key = held.key(record)
        if message_key is not None:
            previous = held.by_message_key.get(message_key)
            if previous is not None and previous != key:
                held.rows.pop(previous, None)
            held.by_message_key[message_key] = key
        if held.rows.get(key) == record:
            return 0
        held.rows[key] = record
        held.changed = True
        return 1

    def take_changed(self) -> dict[str, list[Record]]:
        """The whole session's records of every endpoint that changed since the last call (the load replaces
        the session's rows of those tables, so each carries all of them)."""
        out = {}
        for name, held in self.endpoints.items():
            if held.changed:
                out[name] = [dict(r) for r in held.rows.values()]
                held.changed = False
        return out

    def mark_all_changed(self) -> None:
        """A load failed: everything is loaded again next time."""
        for held in self.endpoints.values():
            held.changed = bool(held.rows)

    def count(self, name: str) -> int:
        return len(self.endpoints[name].rows) if name in self.endpoints else 0

    def newest(self, name: str, column: str) -> Any:
        """The greatest non-null ``column`` among ``name``'s records (None when there is none)."""
        values = (
            [r[column] for r in self.endpoints[name].rows.values() if r.get(column) is not None]
            if (name in self.endpoints)
            else []
        )
        return max(values, default=None)

    def rows(self, name: str) -> list[Record]:
        return list(self.endpoints[name].rows.values()) if name in self.endpoints else []


def parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
