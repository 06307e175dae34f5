"""make bench-live's arithmetic: a record's delay runs from its moment at the server to the first board written
by a cycle that fetched after that moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from bench.live import figures

START = datetime.fromisoformat("2025-03-30T06:00:00+00:00")


def cycle(number: int, fetched: float, written: float | None, cpu: float = 1.0) -> dict:
    return {"number": number, "fetch_started": fetched, "board_written": written, "cpu_s": cpu, "dbt_s": 1.0,
            "load_s": 0.5, "requests": 8}  # fmt: skip


def test_delays_cycle_times_and_their_growth() -> None:
    origin, speed = 1000.0, 20.0
    # records at virtual +0 s, +100 s, +200 s: at the server at real 1000, 1005, 1010
    times = [START + timedelta(seconds=s) for s in (0, 100, 200)]
    cycles = [
        cycle(1, 1001.0, 1004.0),  # fetched after the first record: on the board 4 s after it came
        cycle(2, 1004.5, None, cpu=0.05),  # nothing new
        cycle(3, 1007.0, 1012.0),  # the second: 7 s
        cycle(4, 1012.5, 1020.0),  # the third: 10 s
    ]
    result = figures(cycles, times, START, origin, speed)
    assert result["records_timed"] == 3
    assert result["delay_p50_s"] == 7.0 and result["delay_p95_s"] == 10.0
    assert result["cycle_s_first_third"] == 3.0 and result["cycle_s_last_third"] == 7.5
    assert result["cpu_s_idle_cycle_median"] == 0.05 and result["cycles_rebuilt"] == 3
