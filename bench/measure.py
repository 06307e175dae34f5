"""Run one step as a subprocess and measure it: wall time and the peak RSS of the largest process.

``os.wait4`` returns the child's resource usage; on Linux its ``ru_maxrss`` is the larger of the child's own
peak and that of every descendant it waited for (the loader waits for its replay server), so it is the peak of
the largest process in the step's tree, not the sum of the tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path


class StepFailed(RuntimeError):
    """A step exited non-zero; the message names the step and its log."""


@dataclass
class Step:
    name: str
    wall_s: float
    peak_rss_mb: float
    returncode: int
    log: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_step(
    name: str, command: list[str], log_dir: Path, env: dict[str, str] | None = None, check: bool = True
) -> Step:
    """Run ``command`` with stdout+stderr to ``log_dir/<name>.log``; return its wall time and peak RSS."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    print(f"  {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    with open(log, "w", encoding="utf-8") as handle:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    step = Step(name, round(wall, 2), round(usage.ru_maxrss / 1024, 1), process.returncode, str(log))
    print(
        f"    {wall:8.1f} s  {step.peak_rss_mb:8.0f} MB peak RSS  exit {step.returncode}", file=sys.stderr, flush=True
    )
    if check and step.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise StepFailed(f"step {name} failed (exit {step.returncode}); see {log}:\n" + "\n".join(tail))
    return step
