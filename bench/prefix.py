"""A snapshot without its last round: the base a round is added to in the incremental stage.

The simulator's round r depends on the season's length (the disqualification falls in the second-to-last
round, the line-up change at round ``rounds // 2``, sprints need 3+ rounds), so an (N-1)-round simulation is not
the first N-1 rounds of an N-round one. The base is therefore cut from the N-round snapshot: every record of the
last meeting dropped, every other line kept byte for byte; per-session telemetry files are hard-linked.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

from openf1_replay import snapshot


def last_meeting(root: Path) -> tuple[int, set[int]]:
    """The last meeting's key and its session keys."""
    sessions = [s for path in snapshot.endpoint_files(root, "sessions") for s in snapshot.iter_file(path)]
    meeting = max(s["meeting_key"] for s in sessions)
    return meeting, {s["session_key"] for s in sessions if s["meeting_key"] == meeting}


def write_prefix(root: Path, out: Path) -> int:
    """Write ``root`` minus its last meeting to ``out``; return the dropped meeting's key."""
    meeting, sessions = last_meeting(root)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for endpoint in snapshot.endpoints_in(root):
        for path in snapshot.endpoint_files(root, endpoint):
            target = out / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            if snapshot.session_of_file(endpoint, path) is not None:  # one file per session: keep or drop it
                if int(path.name.split(".")[0]) not in sessions:
                    os.link(path, target)
                continue
            with gzip.open(path, "rb") as source, gzip.open(target, "wb", compresslevel=1) as sink:
                for line in source:
                    if line.strip() and json.loads(line).get("meeting_key") != meeting:
                        sink.write(line)
    return meeting
