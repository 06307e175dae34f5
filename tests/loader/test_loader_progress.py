"""A load shows its requests against the plan: a bar with rate and time left on a terminal, plain lines in a log.

A race with telemetry from OpenF1 is ~900 requests and minutes of waiting; forcing time windows against the
replay server (``--telemetry-window-minutes``) makes the loader plan them the way it does for OpenF1 itself.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from openf1_api import windows
from tests.conftest import ROOT, run_module

PIPELINE = "dlt_pipelines.pipeline"
PLAIN_LINE = re.compile(r"^  requests (\d+)/(~?)(\d+) \((\d+)%\)")


def test_the_plan_of_windowed_telemetry_is_the_drivers_list_and_a_request_per_driver_and_window() -> None:
    from dlt_pipelines.progress import DRIVERS_ESTIMATE, planned_requests  # here: the module is new

    race = {"session_key": 1, "date_start": "2024-03-02T15:00:00+00:00", "date_end": "2024-03-02T17:00:00+00:00"}
    tiles = windows(
        datetime.fromisoformat(race["date_start"]), datetime.fromisoformat(race["date_end"]), timedelta(minutes=10)
    )
    assert planned_requests(race, "car_data", timedelta(minutes=10)) == (1 + DRIVERS_ESTIMATE * len(tiles), True)
    assert planned_requests(race, "car_data", None) == (1, False)  # a local replay: the whole session at once
    assert planned_requests(race, "laps", timedelta(minutes=10)) == (1, False)


@pytest.fixture(scope="module")
def one_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated one-round season with race telemetry (a few MB)."""
    snapshot = tmp_path_factory.mktemp("one-round") / "snapshot"
    made = run_module(
        "openf1_replay.simulator",
        *("--season", "2024", "--rounds", "1", "--seed", "3", "--telemetry", "races", "--telemetry-hz", "0.2"),
        *("--out", str(snapshot)),
    )
    assert made.returncode == 0, made.stderr
    return snapshot


def _windowed_load(snapshot: Path, warehouse: Path, *args: str) -> list[str]:
    return [
        *(sys.executable, "-m", PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse)),
        *("--endpoints", "car_data", "--telemetry-window-minutes", "60", *args),
    ]


@pytest.mark.slow
def test_a_log_gets_plain_request_lines_up_to_the_whole_plan(one_round: Path, tmp_path: Path) -> None:
    # ~325 requests at 60 a second: the load spans several of the meter's half-second ticks on any machine (a
    # quiet one answered them all in under a second, between two ticks, and the log had only two lines)
    result = subprocess.run(
        _windowed_load(one_round, tmp_path / "w.duckdb", "--rate-limit", "60/1"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr  # no bar drawn into a log
    assert re.search(r"requests planned \(telemetry counted at \d+ drivers a session", result.stderr)
    lines = [match for line in result.stderr.splitlines() if (match := PLAIN_LINE.match(line))]
    assert len(lines) >= 3, result.stderr  # a line per tenth of the plan, not one per request nor none
    assert len(lines) <= 12, result.stderr
    done, estimated, total, share = lines[-1].groups()
    assert (done, estimated, share) == (total, "", "100")  # every driver listed: the plan is exact at the end
    assert re.search(r"requests \d+/\d+ \(100%\) in \d+ s", result.stderr)
    counts = [int(match.group(1)) for match in lines]
    assert counts == sorted(counts)


@pytest.mark.slow
def test_a_terminal_gets_a_bar_with_rate_and_time_left(one_round: Path, tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # rows, columns
    process = subprocess.Popen(
        _windowed_load(one_round, tmp_path / "w.duckdb"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    drawn = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 600)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0, drawn.decode(errors="replace")
    text = drawn.decode(errors="replace")
    assert "\r" in text  # redrawn in place
    assert re.search(r"Requests[^\r\n]*\d+%\|", text), text  # tqdm's bar
    assert "requests/s" in text and "<" in text  # the rate and the time left
    assert "100%|" in text
    assert not PLAIN_LINE.search(text.replace("\r", "\n"))  # no plain lines on a terminal
