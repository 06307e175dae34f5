"""make bench SEASONS=N: each season simulated apart, then side by side in one snapshot the replay server reads
(bench/seasons.py)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import seasons
from openf1_replay import snapshot


def test_seasons_side_by_side_hold_every_season_s_records(tmp_path: Path) -> None:
    assert seasons.seasons(3) == [2023, 2024, 2025]
    folders = []
    for season in seasons.seasons(2):
        folder, step = seasons.simulate_season(season, tmp_path / "seasons", 1, 7, 1.0, False, tmp_path / "logs")
        assert step is not None and step.returncode == 0
        folders.append(folder)
    again, step = seasons.simulate_season(2025, tmp_path / "seasons", 1, 7, 1.0, False, tmp_path / "logs")
    assert again == folders[1] and step is None  # the same parameters: reused, not simulated again
    out = tmp_path / "both"
    seasons.assemble(folders, out)
    for endpoint in snapshot.endpoints_in(folders[0]):
        apart = sum(
            sum(1 for _ in snapshot.iter_file(path))
            for folder in folders
            for path in snapshot.endpoint_files(folder, endpoint)
        )
        together = sum(sum(1 for _ in snapshot.iter_file(path)) for path in snapshot.endpoint_files(out, endpoint))
        assert together == apart > 0, endpoint
    sessions = [s["session_key"] for path in snapshot.endpoint_files(out, "sessions") for s in snapshot.iter_file(path)]
    assert len(sessions) == len(set(sessions))  # keys of different seasons never collide
    for endpoint in snapshot.TELEMETRY_ENDPOINTS:  # the answer-order index lists every season's files
        index = json.loads((out / endpoint / snapshot.INDEX).read_text(encoding="utf-8"))["files"]
        files = {path.name for folder in folders for path in snapshot.endpoint_files(folder, endpoint)}
        assert set(index) == files and files
