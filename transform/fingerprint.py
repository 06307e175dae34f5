"""What a dbt build of this project on a DuckDB warehouse depends on: nothing new, nothing done; a change, what
depends on it.

``make build`` skips dbt when the fingerprint equals the one recorded by the last passing build of the same target
folder, and builds only ``state:modified+`` (dbt's own comparison with that build's manifest: the changed models,
macros' users, seeds and tests, and everything downstream) when only model, macro, seed or test files changed.
The fingerprint covers:

- the project: every file dbt reads (``PROJECT_FILES``: models, macros, seeds, data tests, analyses, snapshots,
  dbt_project.yml, profiles.yml, selectors.yml), by content;
- the settings the project reads: every environment variable its files name in ``env_var('…')`` (the vars'
  overrides, the warehouse path, the target), with its value now;
- how dbt runs: the target, unit tests or not, dbt's version;
- what was loaded: the warehouse's ``raw_openf1._dlt_loads`` (``dlt_pipelines.warehouse.loads_state``: how many
  loads, the newest, when). Every load and every ``make live`` cycle adds a row there; nothing else writes the raw
  schema.

No model reads the clock, so the same project on the same loads builds the same marts: dbt would only redo them.
A full refresh never skips; BigQuery never skips (its loads would take a query to read: it builds every time).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from dlt_pipelines.warehouse import loads_state

PROJECT_FILES = (
    "dbt_project.yml",
    "profiles.yml",
    "selectors.yml",
    "packages.yml",
    "models",
    "macros",
    "seeds",
    "tests/dbt",
    "analyses",
    "snapshots",
)
FINGERPRINT = "build_fingerprint.json"  # beside build_results.json in dbt's target folder
_ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")


def project_files(root: Path) -> list[Path]:
    """Every file of the dbt project, in a stable order."""
    files: list[Path] = []
    for name in PROJECT_FILES:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return sorted(files)


CONFIG_FILES = frozenset({"dbt_project.yml", "profiles.yml", "selectors.yml", "packages.yml"})


def compute(root: Path, target: str, unit_tests: bool, warehouse: Path, dbt_version: str) -> dict[str, str] | None:
    """The build's fingerprint in three parts, or None when this build must run whatever the record says:
    ``data`` (the loads, the settings, how dbt runs), ``config`` (the project-wide files: vars, profiles,
    selectors) and ``nodes`` (the files of models, macros, seeds and tests, which dbt's ``state:modified`` tells
    apart node by node)."""
    loads = loads_state(warehouse)
    if loads is None:
        return None
    parts = {"config": hashlib.sha256(), "nodes": hashlib.sha256()}
    names: set[str] = set()
    for path in project_files(root):
        content = path.read_bytes()
        relative = path.relative_to(root).as_posix()
        part = parts["config" if relative in CONFIG_FILES else "nodes"]
        part.update(f"{relative}\0{len(content)}\0".encode())
        part.update(content)
        if path.suffix in (".yml", ".yaml", ".sql"):
            names.update(_ENV_VAR.findall(content.decode("utf-8", errors="replace")))
    settings = {
        "env": {name: os.environ.get(name) for name in sorted(names)},
        "target": target,
        "unit_tests": unit_tests,
        "dbt": dbt_version,
        "loads": loads,
    }
    data = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()
    return {"data": data, "config": parts["config"].hexdigest(), "nodes": parts["nodes"].hexdigest()}


def what_to_build(current: dict[str, str] | None, last: dict[str, str] | None) -> str:
    """``nothing`` (all three parts as the last passing build's), ``modified`` (only models, macros, seeds or tests
    changed: those and what depends on them), or ``all``."""
    if current is None or last is None:
        return "all"
    if current == last:
        return "nothing"
    if current["data"] == last.get("data") and current["config"] == last.get("config"):
        return "modified"
    return "all"


def recorded(dbt_target: Path) -> dict[str, str] | None:
    """The fingerprint of the last passing build in ``dbt_target`` (only while its record is there)."""
    path = dbt_target / FINGERPRINT
    if not path.is_file() or not (dbt_target / "build_results.json").is_file():
        return None
    try:
        last = json.loads(path.read_text(encoding="utf-8"))["fingerprint"]
    except (ValueError, KeyError):
        return None
    return last if isinstance(last, dict) else None


def forget(dbt_target: Path) -> None:
    (dbt_target / FINGERPRINT).unlink(missing_ok=True)


def record(dbt_target: Path, fingerprint: dict[str, str]) -> None:
    partial = dbt_target / f".{FINGERPRINT}"
    partial.write_text(json.dumps({"fingerprint": fingerprint}) + "\n", encoding="utf-8")
    os.replace(partial, dbt_target / FINGERPRINT)
