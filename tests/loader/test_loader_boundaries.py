"""The loader and the replay server share the snapshot format and HTTP, never each other's code; no dead code.

The loader starts a snapshot's replay server through its command line (``python -m openf1_replay.server``) and
speaks HTTP to it, as to api.openf1.org: nothing of ``openf1_replay`` is imported in the loader's process.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LOADER_MODULES = ("dlt_pipelines.pipeline", "dlt_pipelines.origin", "dlt_pipelines.openf1")


@pytest.mark.parametrize("module", LOADER_MODULES)
def test_the_loader_imports_nothing_of_the_replay_package(module: str) -> None:
    script = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('openf1_replay')))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _top_level_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)]
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
    return names


@pytest.mark.parametrize(
    "module", [pytest.param(path, id=path.name) for path in sorted((ROOT / "openf1_replay" / "server").glob("*.py"))]
)
def test_every_name_a_replay_server_module_defines_is_used(module: Path) -> None:
    """A function, class or constant nobody reads (in the module, the package or the tests) is dead code."""
    others = [p for p in [*ROOT.glob("openf1_replay/**/*.py"), *ROOT.glob("tests/**/*.py")] if p != module]
    elsewhere = "\n".join(p.read_text(encoding="utf-8") for p in others)
    own = module.read_text(encoding="utf-8")
    unused = [
        name
        for name in _top_level_names(module)
        if not name.startswith("__") and own.count(name) < 2 and name not in elsewhere
    ]
    assert unused == []
