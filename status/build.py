"""The last passing dbt build: ``build_results.json`` in dbt's target folder, which only a passing
``make transform`` writes (it removes the file when a build starts, and copies dbt's results back at the end)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

BUILD_RESULTS = "build_results.json"  # serving.publish.BUILD_RESULTS, without importing the publisher
RUN_RESULTS = "run_results.json"


@dataclass(frozen=True)
class PassingBuild:
    finished_at: datetime
    invocation_id: str
    elapsed_s: float
    nodes: int  # models, seeds and tests it ran


@dataclass(frozen=True)
class BuildRecord:
    """``passing`` when a passing build is on record; else ``none`` (no dbt run here yet) or ``not_passed``
    (dbt ran, but the last make transform failed or is still running)."""

    target: Path
    state: str  # passing | not_passed | none
    passing: PassingBuild | None = None


def read_build(target: Path) -> BuildRecord:
    path = target / BUILD_RESULTS
    if not path.is_file():
        return BuildRecord(target, "not_passed" if (target / RUN_RESULTS).is_file() else "none")
    try:
        results = json.loads(path.read_text())
        metadata = results["metadata"]
        passing = PassingBuild(
            finished_at=datetime.fromisoformat(metadata["generated_at"].replace("Z", "+00:00")),
            invocation_id=str(metadata["invocation_id"]),
            elapsed_s=float(results.get("elapsed_time") or 0.0),
            # as make transform counts them: dbt's run hooks (operation.*) are not nodes of the build
            nodes=sum(not str(r.get("unique_id", "")).startswith("operation.") for r in results.get("results", [])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return BuildRecord(target, "not_passed")
    return BuildRecord(target, "passing", passing)
