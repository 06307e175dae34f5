"""The record of a passing build that make publish reads, in dbt's target folder.

``build_results.json`` (the build's run_results.json) and ``build_manifest.json`` (its manifest.json) exist only
after a build in which every node passed: removed when a build starts, written when it passes. Later dbt commands
(make docs, a parse, the next build) rewrite run_results.json and manifest.json; these two stay the passing
build's. Each is written beside its final name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

BUILD_RESULTS = "build_results.json"
BUILD_MANIFEST = "build_manifest.json"


def forget_passing_build(target: Path) -> None:
    """No passing build on record while a build runs (make publish refuses); the manifest stays for readers (the
    BI check) until a passing build replaces it."""
    (target / BUILD_RESULTS).unlink(missing_ok=True)


def record_passing_build(target: Path, previous: Path | None = None) -> None:
    """Copy the build's manifest and results to the names make publish reads (manifest first: results mean done).

    A build of only what changed (``state:modified+``) ran some nodes: its results are then ``previous`` (the
    last passing build's results) with the entries of the nodes it ran replaced and its own metadata, so the
    record still holds every node's last passing result."""
    partial = target / f".{BUILD_MANIFEST}"
    shutil.copyfile(target / "manifest.json", partial)
    os.replace(partial, target / BUILD_MANIFEST)
    partial = target / f".{BUILD_RESULTS}"
    if previous is None:
        shutil.copyfile(target / "run_results.json", partial)
    else:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
        ran = {entry["unique_id"] for entry in results["results"]}
        before = json.loads(previous.read_text(encoding="utf-8"))["results"]
        kept = [entry for entry in before if entry["unique_id"] not in ran]
        results["results"] = kept + results["results"]
        partial.write_text(json.dumps(results) + "\n", encoding="utf-8")
    os.replace(partial, target / BUILD_RESULTS)
