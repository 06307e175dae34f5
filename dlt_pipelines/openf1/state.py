"""Which (session, endpoint) pairs are loaded for good, kept in dlt's source state.

dlt commits the source state in the same load package as the data, so the ledger follows the warehouse (a
fresh machine restores it from the destination) and a run that dies never marks what it did not load.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dlt

STATE_KEY = "loaded_sessions"


def _now() -> datetime:
    return datetime.now(UTC)


class LoadLedger:
    """``{session_key: {endpoint: loaded_at}}``; a session is final once loaded ``settle`` after it ended."""

    def __init__(self, known: dict[str, dict[str, str]] | None = None, settle: timedelta = timedelta(hours=3)):
        self.known = {k: dict(v) for k, v in (known or {}).items()}
        self.settle = settle

    @classmethod
    def from_pipeline_state(cls, state: dict[str, Any], source_name: str = "openf1", **kwargs: Any) -> LoadLedger:
        source_state = state.get("sources", {}).get(source_name, {})
        return cls(source_state.get(STATE_KEY, {}), **kwargs)

    def is_final(self, session: dict[str, Any], endpoint: str) -> bool:
        """Loaded after the session ended and settled: OpenF1 will not change it any more."""
        loaded_at = self.known.get(str(session["session_key"]), {}).get(endpoint)
        if loaded_at is None:
            return False
        ended = session.get("date_end") or session.get("date_start")
        if ended is None:
            return False
        return datetime.fromisoformat(loaded_at) >= datetime.fromisoformat(ended) + self.settle

    def mark(self, session: dict[str, Any], endpoint: str) -> None:
        """Record the fetch in dlt's source state (committed only with the load that carries the rows)."""
        loaded_at = _now().isoformat()
        key = str(session["session_key"])
        dlt.current.source_state().setdefault(STATE_KEY, {}).setdefault(key, {})[endpoint] = loaded_at
        self.known.setdefault(key, {})[endpoint] = loaded_at
