"""The loop follows a session by its status, not its timetable: one that starts two hours before the timetable
says, and one still running two hours after it says it ended, against the replay's live clock."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from live.loop import LiveOptions, LiveRun
from live.session import Phase, phase
from openf1_api import OpenF1Client
from tests.live.test_live_e2e import PASSWORD, USER, Server, free_port, jsonl

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("minutes", [120, -120], ids=["starts-early", "runs-late"])
def test_a_session_is_followed_by_its_status_not_its_timetable(tmp_path: Path, minutes: int) -> None:
    race = max((s for s in jsonl("sessions") if s["session_name"] == "Race"), key=lambda s: s["date_start"])
    first = min(
        lap["date_start"] for lap in jsonl("laps") if lap["session_key"] == race["session_key"] and lap["date_start"]
    )
    start = datetime.fromisoformat(first) - timedelta(minutes=6)
    server = Server(free_port(), tmp_path / "server.log")
    server.start(start, 60.0, "--reschedule-minutes", str(minutes), "--quiet")
    said: list[str] = []
    try:
        client = OpenF1Client(server.base_url, username=USER, password=PASSWORD)
        options = LiveOptions(
            warehouse=tmp_path / "w.duckdb",
            published=tmp_path / "p.duckdb",
            board=tmp_path / "b.html",
            dbt_target=tmp_path / "t",
            wait_poll_s=0.5,
            say=said.append,
        )
        run = LiveRun(options, client)
        followed = run.follow()
        assert followed.key == race["session_key"]
        listed = followed.scheduled_start
        moved = timedelta(minutes=minutes)  # N > 0: the timetable says N minutes later than the session starts
        assert listed is not None and listed - datetime.fromisoformat(race["date_start"]) == moved
        began = time.monotonic()
        run.wait_for_start()
        assert time.monotonic() - began < 60
        assert run.records is not None
        assert phase(run.records, client.server_now()) is Phase.RUNNING
        waiting: Any = [line for line in said if line.startswith("waiting for")]
        assert waiting and "following its status, not the clock" in waiting[0]
    finally:
        server.stop()
