"""The data-quality page reports the last dbt *build*, says when it ran, and never takes another command for one.

``make transform`` records a passing build as ``build_results.json``; ``run_results.json`` is whatever dbt ran
last. The slow test runs a real ``dbt docs generate`` after the sample's build (the command ``make docs`` runs,
which lists every test as "success" without running one); the fast ones derive other last commands (``dbt
run``, ``dbt compile``, a failed ``dbt build``) from the sample build's own results.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reports import quality
from reports.render import environment, render
from tests.conftest import dbt_env, run_module
from tests.reports.test_reports import parse, sample_warehouse

ARTEFACTS = ("build_results.json", "build_manifest.json", "manifest.json", "run_results.json", "sources.json")


@pytest.fixture(scope="module")
def sample(sample_build: tuple[Path, Path]) -> tuple[Path, Path]:
    return sample_warehouse(sample_build)


@pytest.fixture
def build_results(sample: tuple[Path, Path]) -> dict[str, Any]:
    """The sample's passing build, as make transform recorded it."""
    return json.loads((sample[1] / "build_results.json").read_text())


def copy_target(source: Path, to: Path, names: tuple[str, ...] = ARTEFACTS) -> Path:
    to.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (source / name).is_file():
            shutil.copy2(source / name, to / name)
    return to


def quality_html(build: quality.DbtBuild) -> str:
    return (
        environment()
        .get_template("quality.html")
        .render(
            generated_at="now",
            warehouse="sample.duckdb",
            page_title="Data quality",
            root="",
            current="quality.html",
            build=build,
            row_counts=[],
            completeness=quality.DataCompleteness(),
        )
    )


def text_of(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return " ".join(html[start : html.index("</p>", start)].split())


def later(results: dict[str, Any], which: str, generated_at: str, keep: tuple[str, ...]) -> dict[str, Any]:
    """Results of another dbt command after the build: its ``args.which``, its time, the kinds of node it ran."""
    return {
        **results,
        "metadata": {**results["metadata"], "generated_at": generated_at},
        "args": {**results["args"], "which": which},
        "results": [
            {**result, "status": "success"} for result in results["results"] if result["unique_id"].startswith(keep)
        ],
    }


@pytest.mark.slow  # dbt compiles the whole project (about a minute)
def test_after_make_docs_the_page_still_reports_the_build(sample: tuple[Path, Path], tmp_path: Path) -> None:
    """make docs runs dbt docs generate, which rewrites run_results.json with compile-only results."""
    warehouse, built = sample
    target = copy_target(built, tmp_path / "target", (*ARTEFACTS, "partial_parse.msgpack"))
    scratch = tmp_path / "warehouse.duckdb"  # dbt opens its warehouse for writing: never the sample itself
    shutil.copy2(warehouse, scratch)
    generated = run_module("dbt.cli.main", "docs", "generate", "--quiet", timeout=900, env=dbt_env(scratch, target))
    assert generated.returncode == 0, generated.stdout[-3000:] + generated.stderr[-3000:]
    docs = json.loads((target / "run_results.json").read_text())
    assert docs["args"]["which"] == "generate"  # dbt replaced the build's results with its own
    build = json.loads((target / "build_results.json").read_text())

    site = tmp_path / "site"
    render(warehouse, site, target)
    html = (site / "quality.html").read_text(encoding="utf-8")
    ran = text_of(html, "build-ran")
    assert ran.startswith('id="build-ran"><code>dbt build</code>'), ran
    assert f"ran {quality.utc_time(build['metadata']['generated_at'])}" in ran
    assert "build_results.json" in ran
    assert "dbt generate" not in html
    notice = text_of(html, "later-command")
    assert "<code>dbt docs generate</code>" in notice and "no test run" in notice
    tests = [result for result in build["results"] if result["unique_id"].startswith(("test.", "unit_test."))]
    shown = parse(site / "quality.html").tables["build-tests"].by_key()
    assert {key: row["status"] for key, row in shown.items()} == {test["unique_id"]: test["status"] for test in tests}
    failing = [result for result in build["results"] if result["status"] not in quality.PASSING]
    assert ("Every model, seed and test passed" in html) == (not failing)


@pytest.mark.parametrize(
    ("which", "keep", "why"),
    [
        pytest.param("run", ("model.",), "it builds models but runs no test", id="dbt-run"),
        pytest.param("compile", ("model.", "test."), "it compiles only: no model built, no test run", id="compile"),
        pytest.param("test", ("test.",), "it runs tests but builds no model", id="dbt-test"),
    ],
)
def test_a_later_command_is_named_not_counted(
    sample: tuple[Path, Path],
    build_results: dict[str, Any],
    tmp_path: Path,
    which: str,
    keep: tuple[str, ...],
    why: str,
) -> None:
    target = copy_target(sample[1], tmp_path)
    (target / "run_results.json").write_text(json.dumps(later(build_results, which, "2099-01-01T00:00:00Z", keep)))
    build = quality.read_dbt_build(target)
    assert build.source == "build_results.json" and build.command == "build"
    assert [result.unique_id for result in build.results] == [r["unique_id"] for r in build_results["results"]]
    html = quality_html(build)
    assert f"<code>dbt {which}</code> ran (2099-01-01 00:00:00 UTC): {why}" in text_of(html, "later-command")


def test_without_a_passing_build_a_compile_is_not_a_test_run(
    sample: tuple[Path, Path], build_results: dict[str, Any], tmp_path: Path
) -> None:
    target = copy_target(sample[1], tmp_path, ("manifest.json",))
    compiled = later(build_results, "compile", "2099-01-01T00:00:00Z", ("model.", "test."))
    (target / "run_results.json").write_text(json.dumps(compiled))
    build = quality.read_dbt_build(target)
    assert build.source is None and build.results == []
    html = quality_html(build)
    assert "Every model, seed and test passed" not in html and 'id="build-tests"' not in html
    notice = text_of(html, "no-build")
    assert "<code>dbt compile</code>" in notice and "make transform" in notice


def test_a_failed_build_after_the_passing_one_is_reported(
    sample: tuple[Path, Path], build_results: dict[str, Any], tmp_path: Path
) -> None:
    """make transform removes build_results.json first: a build that fails leaves its results in run_results.json."""
    target = copy_target(sample[1], tmp_path, ("manifest.json",))
    failed = json.loads(json.dumps(build_results))
    failed["metadata"]["generated_at"] = "2099-01-01T00:00:00Z"
    broken = next(result for result in failed["results"] if result["unique_id"].startswith("test."))
    broken.update(status="fail", failures=3, message="Got 3 results, configured to fail if != 0")
    (target / "run_results.json").write_text(json.dumps(failed))
    build = quality.read_dbt_build(target)
    assert build.source == "run_results.json" and build.ran_at == "2099-01-01 00:00:00 UTC"
    assert broken["unique_id"] in [result.unique_id for result in build.problems]
    html = quality_html(build)
    assert 'id="build-failed"' in html and "Every model, seed and test passed" not in html


def test_without_a_dbt_target(sample: tuple[Path, Path]) -> None:
    html = quality_html(quality.read_dbt_build(None))
    assert "no <code>--dbt-target</code> given" in text_of(html, "no-build")
