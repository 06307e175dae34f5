"""Which (session, endpoint) pairs are loaded for good, kept in dlt's source state.

dlt commits the source state in the same load package as the data, so the ledger follows the warehouse (a
fresh machine restores it from the destination) and a run that dies never marks what it did not load.

A session's endpoint is final once it was loaded ``settle`` after the session ended (three hours: OpenF1 has
scraped the official pages by then). The results the stewards can still change (the catalogue's ``amendable``
endpoints: classification, grid, race control, championships) are final only once loaded ``results_window``
after the session ended (penalties, DSQs and appeals land hours to days later, OpenF1 #242), so every load
inside that window fetches them again, and the first load after it fetches them one last time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import dlt

from dlt_pipelines.openf1 import catalogue

STATE_KEY = "loaded_sessions"
SETTLE = timedelta(hours=3)


class Due(Enum):
    """Why a session's endpoint is fetched: the ledger's three reasons, then the two the loader's flags add."""

    NEW = "never loaded"
    UNSETTLED = "loaded before the session settled"
    AMENDMENT_WINDOW = "results loaded inside the amendment window"
    REFRESH_RESULTS = "results asked for again (--refresh-results)"
    FULL_REFRESH = "everything asked for again (--full-refresh)"


def _now() -> datetime:
    return datetime.now(UTC)


class LoadLedger:
    """``{session_key: {endpoint: loaded_at}}``; a session is final once loaded ``settle`` after it ended, its
    amendable results once loaded ``results_window`` after it ended (whichever is longer)."""

    def __init__(
        self,
        known: dict[str, dict[str, str]] | None = None,
        settle: timedelta = SETTLE,
        results_window: timedelta = timedelta(0),
    ):
        self.known = {k: dict(v) for k, v in (known or {}).items()}
        self.settle = settle
        self.results_window = results_window

    @classmethod
    def from_pipeline_state(cls, state: dict[str, Any], source_name: str = "openf1", **kwargs: Any) -> LoadLedger:
        source_state = state.get("sources", {}).get(source_name, {})
        return cls(source_state.get(STATE_KEY, {}), **kwargs)

    def final_after(self, endpoint: str) -> timedelta:
        """How long after a session's end a load of ``endpoint`` must happen to be final."""
        if catalogue.get(endpoint).amendable:
            return max(self.settle, self.results_window)
        return self.settle

    def due(self, session: dict[str, Any], endpoint: str) -> Due | None:
        """Why ``endpoint`` of ``session`` should be fetched, or None when it is loaded for good."""
        loaded_at = self.known.get(str(session["session_key"]), {}).get(endpoint)
        if loaded_at is None:
            return Due.NEW
        ended = session.get("date_end") or session.get("date_start")
        if ended is None:
            return Due.UNSETTLED
        loaded, end = datetime.fromisoformat(loaded_at), datetime.fromisoformat(ended)
        if loaded >= end + self.final_after(endpoint):
            return None
        return Due.UNSETTLED if loaded < end + self.settle else Due.AMENDMENT_WINDOW

    def is_final(self, session: dict[str, Any], endpoint: str) -> bool:
        """Loaded late enough after the session ended that OpenF1 will not change it any more."""
        return self.due(session, endpoint) is None

    def mark(self, session: dict[str, Any], endpoint: str) -> None:
        """Record the fetch in dlt's source state (committed only with the load that carries the rows)."""
        loaded_at = _now().isoformat()
        key = str(session["session_key"])
        dlt.current.source_state().setdefault(STATE_KEY, {}).setdefault(key, {})[endpoint] = loaded_at
        self.known.setdefault(key, {})[endpoint] = loaded_at
