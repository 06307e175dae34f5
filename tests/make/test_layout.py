"""The tests mirror the packages: a newcomer finds a module's tests in tests/<its package>/."""

from __future__ import annotations

from tests.conftest import ROOT

# the folders of tests/ and what each one tests (a package, or the dbt project, or the Makefile)
TESTED = {
    "bench": "bench",
    "bi": "bi",
    "bigquery": "bigquery",
    "features_export": "features_export",
    "live": "live",
    "loader": "dlt_pipelines",
    "make": "Makefile",
    "models": "models",
    "openf1_api": "openf1_api",
    "replay": "openf1_replay",
    "reports": "reports",
    "serving": "serving",
    "sqlcli": "sqlcli",
    "status": "status",
    "superset_bi": "superset_bi",
    "transform": "transform",
    "whatif": "whatif",
}
UNTESTED_ALONE = {"sidevenv"}  # its one function runs in every side environment's install (tests/bi, sqlcli, …)


def test_no_test_module_sits_at_the_top_of_tests() -> None:
    assert sorted(path.name for path in (ROOT / "tests").glob("test_*.py")) == []


def test_every_test_folder_names_what_it_tests() -> None:
    folders = {path.name for path in (ROOT / "tests").iterdir() if path.is_dir() and any(path.glob("test_*.py"))}
    assert folders <= set(TESTED), f"tests/{sorted(folders - set(TESTED))}: add it to TESTED"
    for folder in folders:
        assert (ROOT / TESTED[folder]).exists(), f"tests/{folder}/ tests {TESTED[folder]}, which is gone"


def test_every_package_has_its_tests_folder() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests"}
    folders = [path.name for path in (ROOT / "tests").iterdir() if path.is_dir() and any(path.glob("test_*.py"))]
    tested = {TESTED[folder] for folder in folders if folder in TESTED}
    assert packages - tested - UNTESTED_ALONE == set(), "give each package a tests/<folder>/ and list it in TESTED"
