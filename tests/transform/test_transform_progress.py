"""make transform's console: dbt's progress as a compact count (transform/progress.py) and the closing messages
(transform/messages.py). The count on a terminal is rewritten in place; elsewhere it is a few plain lines."""

from __future__ import annotations

import io

import pytest

from transform import messages
from transform.progress import BuildProgress
from transform.runner import Freshness, NodeOutcome, RawTable, Staleness, build_arguments


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_nodes(progress: BuildProgress, statuses: list[str], clock: Clock, step_s: float) -> None:
    progress.started(len(statuses))
    for status in statuses:
        clock.now += step_s
        progress.finished(status)
    progress.close()


def test_without_a_terminal_the_count_is_a_few_plain_lines() -> None:
    out, clock = io.StringIO(), Clock()
    progress = BuildProgress(out, interactive=False, clock=clock)
    run_nodes(progress, ["success"] * 300 + ["fail"] + ["skipped"] * 2 + ["pass"] * 97, clock, 0.01)
    lines = out.getvalue().splitlines()
    assert lines == [
        "dbt build: 100/400 nodes, 0 failed",
        "dbt build: 200/400 nodes, 0 failed",
        "dbt build: 300/400 nodes, 0 failed",
        "dbt build: 400/400 nodes, 1 failed, 2 skipped",
    ]
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_on_a_terminal_the_count_is_one_line_rewritten_in_place() -> None:
    out, clock = io.StringIO(), Clock()
    progress = BuildProgress(out, interactive=True, clock=clock)
    progress.status("reading the project ...")
    run_nodes(progress, ["success"] * 50 + ["warn"], clock, 0.02)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, ended once the count is final
    frames = [frame.rstrip() for frame in text.rstrip("\n").split("\r") if frame]
    assert frames[0] == "dbt build: reading the project ..."
    assert frames[-1] == "dbt build: 51/51 nodes, 0 failed, 1 warned"
    assert 5 <= len(frames) <= 20  # redrawn about every 0.1 s of a 1 s build, not once per node
    assert "\x1b" not in text


def test_a_message_during_the_count_gets_a_line_of_its_own() -> None:
    out = io.StringIO()
    progress = BuildProgress(out, interactive=True)
    progress.started(10)
    progress.finished("success")
    progress.say("cleanup: dropped what an interrupted dbt run left behind: marts.fct_weather__dbt_backup")
    progress.close()
    lines = [line.split("\r")[-1].strip() for line in out.getvalue().split("\n") if line.strip()]
    assert lines == [
        "cleanup: dropped what an interrupted dbt run left behind: marts.fct_weather__dbt_backup",
        "dbt build: 1/10 nodes, 0 failed",
    ]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            "Runtime Error in model stg_openf1__loads (models/staging/openf1/stg_openf1__loads.sql)\n"
            '  Catalog Error: Table with name _dlt_loads does not exist!\n  Did you mean "laps"?\n\n'
            "  LINE 12: from raw_openf1._dlt_loads\n               ^",
            'Catalog Error: Table with name _dlt_loads does not exist! Did you mean "laps"?',
            id="runtime-error",
        ),
        pytest.param("Got 1 result, configured to fail if != 0", "Got 1 result, configured to fail if != 0", id="test"),
        pytest.param("", "error", id="no-message"),
    ],
)
def test_a_failing_node_is_one_line(message: str, expected: str) -> None:
    outcome = NodeOutcome("model.openf1.x", "model", "x", "error", message)
    (line,) = messages.failure_lines([outcome])
    assert line == f"  error  model x: {expected}"


def test_drift_lines_name_every_variant_column_with_its_rows() -> None:
    tables = [
        RawTable("laps", 8801, {"lap_duration__v_text": 1}),
        RawTable("pit", 130, {"pit_duration__v_text": 0}),
        RawTable("stints", 1079),
    ]
    lines = messages.drift_lines(tables, "raw_openf1")
    assert lines[0].startswith("warning: type drift in raw_openf1: 1 value did not fit its column's declared type")
    assert "raw_openf1.laps.lap_duration__v_text" in lines[1] and " 1 row " in lines[1] and "lap_duration" in lines[1]
    assert "raw_openf1.pit.pit_duration__v_text" in lines[2] and " 0 rows " in lines[2]
    assert "where lap_duration__v_text is not null" in lines[3]
    assert lines[4].lstrip().startswith("fix:")
    assert messages.drift_lines([RawTable("laps", 10)], "raw_openf1") == []


def test_freshness_says_nothing_unless_a_loaded_table_is_stale() -> None:
    assert messages.freshness_note(Freshness(checked=("laps", "pit")), "raw_openf1", "dbt.log") == ""
    stale = Freshness(checked=("laps",), stale=(Staleness("laps", "warn", 9 * 86400, "7 days", "30 days"),))
    note = messages.freshness_note(stale, "raw_openf1", "dbt.log")
    assert "\n" not in note and "\x1b" not in note
    assert note.startswith("note: source freshness: raw_openf1.laps newest rows loaded 9 days ago (warn after 7 days)")


def test_the_final_count_is_what_ran_when_dbt_announced_more() -> None:
    """dbt can announce more nodes than it runs (379 of 399 with unit tests): the count ends on what ran."""
    out = io.StringIO()
    progress = BuildProgress(out, interactive=False)
    progress.started(12)
    for _ in range(10):
        progress.finished("pass")
    progress.close(ended=True)
    assert out.getvalue().splitlines()[-1] == "dbt build: 10/10 nodes, 0 failed"


def test_a_build_leaves_unit_tests_out_unless_asked_and_refreshes_only_when_asked() -> None:
    """make transform runs seeds, models and data tests; UNIT_TESTS=1 (make test) adds the unit tests."""
    plain = build_arguments(unit_tests=False, full_refresh=False)
    assert "--exclude-resource-type" in plain and plain[plain.index("--exclude-resource-type") + 1] == "unit_test"
    assert "--full-refresh" not in plain
    assert "unit_test" not in " ".join(build_arguments(unit_tests=True, full_refresh=False))
    assert "--full-refresh" in build_arguments(unit_tests=False, full_refresh=True)
    # a selection that matches nothing fails instead of passing with nothing built
    assert '{"error": ["NoNodesForSelectionCriteria"]}' in plain
