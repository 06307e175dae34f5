"""Nothing new, nothing done (transform/fingerprint.py): what a dbt build depends on, and what a change rebuilds."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from transform import fingerprint


def loaded_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw_openf1")
        connection.execute(
            "create table raw_openf1._dlt_loads (load_id varchar, status integer, inserted_at timestamptz)"
        )
        connection.execute("insert into raw_openf1._dlt_loads values ('1700000000.1', 0, now())")
    return path


def add_load(path: Path, load_id: str) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("insert into raw_openf1._dlt_loads values (?, 0, now())", [load_id])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "macros").mkdir()
    (root / "dbt_project.yml").write_text("vars:\n  window: \"{{ env_var('OPENF1_TEST_WINDOW', '7') }}\"\n")
    (root / "models" / "a.sql").write_text("select 1 as a\n")
    (root / "macros" / "m.sql").write_text("{% macro m() %}1{% endmacro %}\n")
    return root


def compute(project: Path, warehouse: Path, unit_tests: bool = False) -> dict[str, str] | None:
    return fingerprint.compute(project, "dev", unit_tests, warehouse, "1.11")


def test_the_same_project_on_the_same_loads_builds_nothing(project: Path, tmp_path: Path) -> None:
    warehouse = loaded_warehouse(tmp_path / "w.duckdb")
    first = compute(project, warehouse)
    assert first is not None
    assert fingerprint.what_to_build(compute(project, warehouse), first) == "nothing"


def test_a_new_load_builds_everything(project: Path, tmp_path: Path) -> None:
    warehouse = loaded_warehouse(tmp_path / "w.duckdb")
    first = compute(project, warehouse)
    add_load(warehouse, "1700000100.2")
    assert fingerprint.what_to_build(compute(project, warehouse), first) == "all"


def test_a_changed_model_or_macro_builds_what_changed_and_what_depends_on_it(project: Path, tmp_path: Path) -> None:
    warehouse = loaded_warehouse(tmp_path / "w.duckdb")
    first = compute(project, warehouse)
    (project / "models" / "a.sql").write_text("select 2 as a\n")
    second = compute(project, warehouse)
    assert fingerprint.what_to_build(second, first) == "modified"
    (project / "macros" / "m.sql").write_text("{% macro m() %}2{% endmacro %}\n")
    assert fingerprint.what_to_build(compute(project, warehouse), second) == "modified"


def test_a_touched_file_with_the_same_content_builds_nothing(project: Path, tmp_path: Path) -> None:
    warehouse = loaded_warehouse(tmp_path / "w.duckdb")
    first = compute(project, warehouse)
    shutil.copy(project / "models" / "a.sql", project / "models" / "a.tmp")
    (project / "models" / "a.tmp").replace(project / "models" / "a.sql")  # new inode and mtime, same bytes
    assert fingerprint.what_to_build(compute(project, warehouse), first) == "nothing"


def test_project_settings_and_the_variables_they_read_build_everything(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = loaded_warehouse(tmp_path / "w.duckdb")
    first = compute(project, warehouse)
    monkeypatch.setenv("OPENF1_TEST_WINDOW", "3")  # named in dbt_project.yml: a var's value changes
    assert fingerprint.what_to_build(compute(project, warehouse), first) == "all"
    monkeypatch.delenv("OPENF1_TEST_WINDOW")
    (project / "dbt_project.yml").write_text("vars:\n  window: 9\n")
    assert fingerprint.what_to_build(compute(project, warehouse), first) == "all"
    monkeypatch.setenv("OPENF1_NOT_READ_BY_THE_PROJECT", "x")
    assert fingerprint.what_to_build(compute(project, warehouse), compute(project, warehouse)) == "nothing"


def test_unit_tests_asked_for_after_a_build_without_them_run(project: Path, tmp_path: Path) -> None:
    warehouse = loaded_warehouse(tmp_path / "w.duckdb")
    assert fingerprint.what_to_build(compute(project, warehouse, True), compute(project, warehouse)) == "all"


def test_no_warehouse_or_no_record_builds_everything(project: Path, tmp_path: Path) -> None:
    assert compute(project, tmp_path / "missing.duckdb") is None
    warehouse = loaded_warehouse(tmp_path / "w.duckdb")
    assert fingerprint.what_to_build(compute(project, warehouse), None) == "all"
    target = tmp_path / "target"
    target.mkdir()
    fingerprint.record(target, compute(project, warehouse) or {})
    assert fingerprint.recorded(target) is None  # no passing build on record beside it: nothing to stand on
    (target / "build_results.json").write_text("{}")
    assert fingerprint.recorded(target) == compute(project, warehouse)
