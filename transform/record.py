"""The record of a passing build that make publish reads, in dbt's target folder.

``build_results.json`` (the build's run_results.json) and ``build_manifest.json`` (its manifest.json) exist only
after a build in which every node passed: removed when a build starts, written when it passes. Later dbt commands
(make docs, a parse, the next build) rewrite run_results.json and manifest.json; these two stay the passing
build's. Each is written beside its final name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BUILD_RESULTS = "build_results.json"
BUILD_MANIFEST = "build_manifest.json"


def forget_passing_build(target: Path) -> None:
    """No passing build on record while a build runs (make publish refuses); the manifest stays for readers (the
    BI check) until a passing build replaces it."""
    (target / BUILD_RESULTS).unlink(missing_ok=True)


def record_passing_build(target: Path) -> None:
    """Copy the build's manifest and results to the names make publish reads (manifest first: results mean done)."""
    for source, name in (("manifest.json", BUILD_MANIFEST), ("run_results.json", BUILD_RESULTS)):
        partial = target / f".{name}"
        shutil.copyfile(target / source, partial)
        os.replace(partial, target / name)
