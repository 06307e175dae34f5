"""The benchmark (``make bench`` runs ``python -m bench``) end to end on a two-round season at 1 Hz: every stage
runs, and every figure issue 9 names is printed and written, consistent with the steps it was measured from and
with the snapshot's own record counts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from openf1_replay import snapshot
from tests.conftest import run_module

ISSUE_KEYS = (
    "rounds",
    "telemetry_rows",
    "ingest_rows_per_s",
    "limit_rows_per_s",
    "ingest_ratio",
    "dbt_build_s",
    "full_build_s",
    "incremental_build_s",
    "peak_rss_mb",
)


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    work, results = tmp_path_factory.mktemp("bench-work"), tmp_path_factory.mktemp("bench-results")
    # every stage but requests (tests/bench/test_bench_requests.py) and feedback (make test-fast inside pytest)
    stages = "simulate,limit,ingest,dbt,publish,reports,incremental"
    done = run_module(
        "bench",
        "--rounds",
        "2",
        "--hz",
        "1",
        "--stages",
        stages,
        "--work",
        str(work),
        "--results",
        str(results),
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return work, results, done.stdout


@pytest.mark.slow
def test_every_figure_is_written_and_consistent(bench_run: tuple[Path, Path, str]) -> None:
    work, results, _ = bench_run
    figures = json.loads((results / "latest.json").read_text(encoding="utf-8"))
    for key in (*ISSUE_KEYS, "noop_build_s", "incremental_ratio", "noop_ratio", "publish_s", "publish_ratio"):
        assert isinstance(figures[key], int | float) and figures[key] > 0, key
    assert figures["rounds"] == 2
    steps = {name: step["wall_s"] for name, step in figures["steps"].items()}
    assert figures["full_build_s"] == pytest.approx(steps["load_telemetry"] + steps["load_light"] + steps["dbt_build"])
    assert figures["incremental_build_s"] == pytest.approx(steps["add_load"] + steps["add_dbt_build"])
    assert figures["noop_build_s"] == pytest.approx(steps["noop_make_build"])
    assert figures["incremental_ratio"] == pytest.approx(figures["incremental_build_s"] / figures["full_build_s"], 0.01)
    assert figures["publish_s"] == pytest.approx(steps["publish"])
    assert figures["publish_ratio"] == pytest.approx(figures["publish_s"] / figures["full_build_s"], abs=0.0006)
    # ratios are kept to 3 decimals: a second of nothing new over a minute's build is 0.017, so compare absolutely
    assert figures["noop_ratio"] == pytest.approx(figures["noop_build_s"] / figures["full_build_s"], abs=0.0006)
    assert figures["ingest_ratio"] == pytest.approx(figures["ingest_rows_per_s"] / figures["limit_rows_per_s"], 0.01)
    assert figures["peak_rss_mb"] == max(step["peak_rss_mb"] for step in figures["steps"].values())
    # the telemetry rows loaded are the snapshot's, counted independently from its index
    snapshot_dir = next(work.glob("snapshot-r2-*-races"))
    indexed = sum(f.records for e in ("car_data", "location") for f in snapshot.read_index(snapshot_dir / e).values())
    assert figures["telemetry_rows"] == figures["limit"]["telemetry"]["rows"] == indexed > 0
    assert set(figures["measured_at"]) == {"simulate", "limit", "ingest", "dbt", "publish", "reports", "incremental"}
    assert not list(work.glob("warehouse-*.duckdb*"))  # a run of every building stage cleans its warehouses up
    # dbt builds as make transform does: data tests, no unit tests (make test runs those)
    for timings in (figures["dbt"], figures["incremental"]["add_dbt"]):
        assert timings["thread_s"]["test"] > 0 and "unit_test" not in timings["thread_s"]
    # adding the round fetched its sessions only; the rebuild after it had nothing to fetch
    with gzip.open(snapshot_dir / "sessions.jsonl.gz", "rt", encoding="utf-8") as lines:
        meetings = [json.loads(line)["meeting_key"] for line in lines if line.strip()]
    last, total = sum(1 for m in meetings if m == max(meetings)), len(meetings)
    logs = next((work / "logs").iterdir())
    added = (logs / "add_load.log").read_text(encoding="utf-8")
    assert f": {last} sessions fetched, {total - last} skipped as already loaded" in added
    # make build with nothing new: every step says it skipped, none ran
    nothing = (logs / "noop_make_build.log").read_text(encoding="utf-8")
    for step in ("Load skipped: nothing new", "dbt build skipped", "Publish skipped", "Report skipped"):
        assert step in nothing, nothing[-2000:]
    assert "dbt build:" not in nothing and "Loaded into" not in nothing
    assert figures["incremental"]["noop_said"] == [line for line in nothing.splitlines() if "skipped" in line]


@pytest.mark.slow
def test_the_table_is_printed_and_saved(bench_run: tuple[Path, Path, str]) -> None:
    _, results, printed = bench_run
    table = (results / "latest.md").read_text(encoding="utf-8")
    assert table in printed
    figures = json.loads((results / "latest.json").read_text(encoding="utf-8"))
    for label, key in (
        ("**telemetry ingest / limit**", "ingest_ratio"),
        ("snapshot → every mart and feature built and tested, s", "full_build_s"),
        ("add a round, s", "incremental_build_s"),
        ("make build with nothing new, s", "noop_build_s"),
    ):
        row = next(line for line in table.splitlines() if line.startswith(f"| {label}"))
        value = figures[key]
        assert (f"{value:,.0f}" if value >= 100 else f"{value:,.2f}") in row, row
    for step in figures["steps"]:
        assert f"| {step} |" in table


def test_a_bad_stage_is_one_line() -> None:
    done = run_module("bench", "--stages", "ingest,everything", timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: stages ") and len(done.stderr.strip().splitlines()) == 1
