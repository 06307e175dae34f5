"""Several simulated seasons as one snapshot: what a user who keeps years of data loads (``make bench SEASONS=3``).

Each season is simulated on its own (``openf1_replay.simulator``, reused while its parameters are the same) into
``<work>/seasons/``, then the seasons are put side by side in one snapshot folder by hard links (no copy): a light
endpoint's file becomes ``<endpoint>/<season>.jsonl.gz`` (the snapshot format reads every file of an endpoint's
folder), telemetry keeps its one file per session (session keys differ between seasons), and the telemetry
folders' ``_index.json`` are merged. The seasons are the ``count`` up to 2025: 2023-2025 for three.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from bench.measure import Step, run_step
from openf1_replay import snapshot

LAST_SEASON = 2025


def seasons(count: int) -> list[int]:
    return list(range(LAST_SEASON - count + 1, LAST_SEASON + 1))


def simulate_season(
    season: int, work: Path, rounds: int, seed: int, hz: float, all_sessions: bool, logs: Path
) -> tuple[Path, Step | None]:
    """One season's snapshot (simulated unless an identical one is there); the step, None when reused."""
    folder = work / f"season-{season}-r{rounds}-s{seed}-hz{hz:g}-{'all' if all_sessions else 'races'}"
    wanted = {"season": season, "rounds": rounds, "seed": seed, "telemetry_hz": hz}
    wanted["telemetry"] = "all" if all_sessions else "races"
    marker = folder / "_simulator.json"
    if marker.is_file():
        written = json.loads(marker.read_text(encoding="utf-8"))
        if all(written.get(key) == value for key, value in wanted.items()):
            print(f"  simulate {season}: reusing {folder}", file=sys.stderr)
            return folder, None
    command = [sys.executable, "-m", "openf1_replay.simulator", "--season", str(season), "--rounds", str(rounds)]
    command += ["--seed", str(seed), "--telemetry", wanted["telemetry"], "--telemetry-hz", str(hz)]
    command += ["--out", str(folder), "--truth", str(folder.with_name(folder.name + ".truth.json"))]
    return folder, run_step(f"simulate_{season}", command, logs)


def assemble(folders: list[Path], out: Path) -> None:
    """The seasons' snapshots side by side in ``out``, hard-linked."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for folder in folders:
        season = json.loads((folder / "_simulator.json").read_text(encoding="utf-8"))["season"]
        for endpoint in snapshot.endpoints_in(folder):
            (out / endpoint).mkdir(exist_ok=True)
            for path in snapshot.endpoint_files(folder, endpoint):
                if endpoint in snapshot.TELEMETRY_ENDPOINTS:
                    os.link(path, out / endpoint / path.name)
                else:
                    suffix = next(s for s in snapshot.SUFFIXES if path.name.endswith(s))
                    os.link(path, out / endpoint / f"{season}{suffix}")
            index = folder / endpoint / snapshot.INDEX
            if index.is_file():
                merged = out / endpoint / snapshot.INDEX
                files = json.loads(merged.read_text(encoding="utf-8"))["files"] if merged.is_file() else {}
                files.update(json.loads(index.read_text(encoding="utf-8"))["files"])
                merged.write_text(json.dumps({"files": files}), encoding="utf-8")
