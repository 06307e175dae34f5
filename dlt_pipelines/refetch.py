"""What a run fetches again, and why: the ledger's rule, the results amendment window and the loader's flags.

Results the stewards can change after a session (the catalogue's ``amendable`` endpoints) are fetched again
on every run until ``results_window`` after the session ended (default 7 days; ``--results-window-days`` or
``OPENF1_RESULTS_WINDOW_DAYS``, which the Makefile sets from ``RESULTS_WINDOW_DAYS``). ``--refresh-results``
fetches them again for every session in scope, even sessions final for good; ``--full-refresh`` fetches
everything. Every other endpoint of a session is final once loaded three hours after the session ended.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dlt_pipelines.openf1 import catalogue
from dlt_pipelines.openf1.state import Due, LoadLedger

RESULTS_WINDOW_DAYS = 7.0  # penalties and DSQs land within hours, appeals within days (OpenF1 #242)
RESULTS_WINDOW_ENV = "OPENF1_RESULTS_WINDOW_DAYS"
MAX_WINDOW_DAYS = 36_500
RESULTS_AGAIN = (Due.AMENDMENT_WINDOW, Due.REFRESH_RESULTS)  # results fetched when other endpoints are not


def results_window(option: str | None, environ: Mapping[str, str] = os.environ) -> timedelta:
    """The amendment window from ``--results-window-days``, else the environment, else the default; a value
    that is not a number of days from 0 to MAX_WINDOW_DAYS is a ValueError naming where it came from."""
    if option is not None:
        text, given = option, f"--results-window-days {option}"
    elif environ.get(RESULTS_WINDOW_ENV, "").strip():
        text = environ[RESULTS_WINDOW_ENV]
        given = f"{RESULTS_WINDOW_ENV}={text} (make: RESULTS_WINDOW_DAYS)"
    else:
        return timedelta(days=RESULTS_WINDOW_DAYS)
    try:
        days = float(text)
    except ValueError:
        days = math.nan
    if not 0 <= days <= MAX_WINDOW_DAYS:  # also false for nan
        raise ValueError(
            f"{given}: give a number of days from 0 to {MAX_WINDOW_DAYS}, e.g. {RESULTS_WINDOW_DAYS:g} "
            "(0: results settle like every other endpoint)"
        )
    return timedelta(days=days)


def window_label(window: timedelta) -> str:
    """'7-day' for seven days."""
    return f"{window / timedelta(days=1):g}-day"


@dataclass(frozen=True)
class FetchPolicy:
    """The ledger's rule plus the loader's flags: ``due`` says whether, and why, to fetch a session's endpoint."""

    ledger: LoadLedger
    full_refresh: bool = False
    refresh_results: bool = False

    def due(self, session: dict[str, Any], endpoint: str) -> Due | None:
        if self.full_refresh:
            return Due.FULL_REFRESH
        due = self.ledger.due(session, endpoint)
        if due is None and self.refresh_results and catalogue.get(endpoint).amendable:
            return Due.REFRESH_RESULTS
        return due

    @staticmethod
    def results_again(dues: Mapping[str, Due | None]) -> Due | None:
        """Why a session's results are fetched again although they were loaded after the session settled
        (the amendment window, or --refresh-results), from its endpoints' ``due``; None if they are not."""
        return next((due for due in RESULTS_AGAIN if due in dues.values()), None)


def results_again_reasons(counts: Mapping[Due, int], window: timedelta) -> list[tuple[int, str]]:
    """(sessions, why) for each reason results were fetched again, e.g. (3, 'inside the 7-day amendment window')."""
    why = {
        Due.AMENDMENT_WINDOW: f"inside the {window_label(window)} amendment window",
        Due.REFRESH_RESULTS: "on request (--refresh-results)",
    }
    return [(counts[due], why[due]) for due in RESULTS_AGAIN if counts.get(due)]
