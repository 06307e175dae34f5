"""Where the simulator writes: the snapshot folder (through SnapshotWriter) and the truth sidecar.

An output folder may be reused only if it is empty or an earlier simulator output (it holds the
``_simulator.json`` marker); then the endpoint files of the earlier run are removed first, so a smaller
season never leaves stale files behind.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from openf1_replay.snapshot import ENDPOINTS, SUFFIXES, SnapshotWriter

MARKER = "_simulator.json"
README = "README.md"


class SimulatorError(ValueError):
    """Bad arguments or an output location the simulator must not touch; the message says why."""


class LineWriter(SnapshotWriter):
    """SnapshotWriter plus pre-formatted JSON lines, for telemetry and intervals written at full speed."""

    def write_lines(self, endpoint: str, payload: bytes | memoryview, part: str | None = None) -> None:
        """Append already formatted JSONL bytes (one record a line, each ending in a newline)."""
        if len(payload):
            self._file(endpoint, part).write(payload)


def prepare_output(out: Path, truth: Path) -> None:
    if truth.resolve().is_relative_to(out.resolve()):
        raise SimulatorError(f"--truth {truth} is inside the snapshot folder {out}; put it beside the folder")
    if out.exists() and not out.is_dir():
        raise SimulatorError(f"OUT {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise SimulatorError(
                f"OUT {out} exists and is not an earlier simulator output; choose a new or empty folder"
            )
        for endpoint in ENDPOINTS:
            for suffix in SUFFIXES:
                (out / f"{endpoint}{suffix}").unlink(missing_ok=True)
            if (out / endpoint).is_dir():
                shutil.rmtree(out / endpoint)
        (out / README).unlink(missing_ok=True)
        (out / MARKER).unlink()
    out.mkdir(parents=True, exist_ok=True)


def remove_output(out: Path) -> bool:
    """Delete ``out`` if it is an earlier simulator output (it holds the marker); True if it was removed."""
    if not (out / MARKER).is_file():
        return False
    shutil.rmtree(out)
    return True


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Atomically write a JSON document (stable key order as built, so reruns are byte-identical)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)


def write_readme(out: Path, season: int, rounds: int, seed: int) -> None:
    (out / README).write_text(
        f"# Simulated OpenF1 snapshot\n\nSeason {season}, {rounds} rounds, seed {seed}, written by "
        "`python -m openf1_replay.simulator`. Fictional drivers and teams; real circuit names only.\n"
        "The ground truth the data was drawn from is in the `.truth.json` sidecar beside this folder.\n",
        encoding="utf-8",
    )
