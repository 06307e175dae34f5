"""bench.requests: the requests a season takes from OpenF1 itself, counted by the loader against the replay
server with OpenF1's request pattern, and their wait at the free tier's rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import requests
from dlt_pipelines.openf1 import catalogue
from tests.conftest import run_module

LIGHT = [name for name, e in catalogue.ENDPOINTS.items() if e.per_session and not e.telemetry]


@pytest.mark.slow
def test_one_round_counts_every_request_the_loader_sends(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    made = run_module(
        "openf1_replay.simulator",
        *("--season", "2024", "--rounds", "1", "--seed", "3", "--telemetry", "races", "--telemetry-hz", "0.2"),
        *("--out", str(snapshot)),
    )
    assert made.returncode == 0, made.stderr
    figures = requests.measure(snapshot, tmp_path)
    assert figures["meetings"] == 1 and figures["sessions"] == 5
    # sessions, meetings, then one request per endpoint for the meeting
    assert figures["light_requests"] == 2 + len(LIGHT)
    assert figures["light_requests_per_session_pattern"] == 2 + 5 * len(LIGHT)
    # one meeting is the season: the planned telemetry requests are those the loader sent, every session
    # asked for (OpenF1 has telemetry for every session, the snapshot only for the race)
    assert figures["check"]["sent"] == figures["check"]["planned"] == figures["telemetry_requests"] > 5 * 2 * 20
    assert figures["requests"] == figures["light_requests"] + figures["telemetry_requests"]
    assert figures["wait_s"] == pytest.approx(figures["requests"] / 3, abs=0.1)
    assert figures["wait_h"] == pytest.approx(figures["wait_s"] / 3600, abs=0.01)
