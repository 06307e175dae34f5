"""Every endpoint but telemetry is fetched with one request per meeting (``meeting_key=``), narrowed to the
meeting's sessions that are due: the same rows as a request per session, in a fraction of the requests."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from dlt_pipelines.openf1 import catalogue
from openf1_replay.snapshot import iter_records
from tests.conftest import run_module
from tests.loader.test_pipeline import PIPELINE, table_counts

LIGHT = [name for name, e in catalogue.ENDPOINTS.items() if e.per_session and not e.telemetry]


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated rounds without telemetry (the second a sprint weekend: seven sessions)."""
    snapshot = tmp_path_factory.mktemp("meetings") / "snapshot"
    made = run_module(
        "openf1_replay.simulator",
        *("--season", "2024", "--rounds", "2", "--seed", "5", "--telemetry", "none", "--out", str(snapshot)),
    )
    assert made.returncode == 0, made.stderr
    return snapshot


def _load(snapshot: Path, warehouse: Path, *scope: str) -> str:
    done = run_module(PIPELINE, "--source", str(snapshot), "--warehouse", str(warehouse), *scope)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _requests(summary: str) -> int:
    found = re.search(r"; (\d+) requests, 0 retried", summary)
    assert found, summary
    return int(found.group(1))


def _load_ids(warehouse: Path, session_key: int) -> dict[str, set[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            table: {
                row[0]
                for row in connection.execute(
                    f"select distinct _dlt_load_id from raw_openf1.{table} where session_key = ?", [session_key]
                ).fetchall()
            }
            for table in ("laps", "drivers", "session_result")
        }


def test_a_season_takes_one_request_per_meeting_and_endpoint(season: Path, tmp_path: Path) -> None:
    summary = _load(season, tmp_path / "w.duckdb", "--season", "2024")
    # the sessions of the season, its meetings (one request for the year), then a request per meeting and endpoint
    assert _requests(summary) == 2 + 2 * len(LIGHT)


def test_a_meeting_partly_loaded_fetches_only_its_due_sessions(season: Path, tmp_path: Path) -> None:
    sessions = [s for s in iter_records(season, "sessions") if not s.get("is_cancelled")]
    meeting = sessions[-1]["meeting_key"]  # the sprint weekend
    race = next(s["session_key"] for s in sessions if s["meeting_key"] == meeting and s["session_name"] == "Race")
    warehouse = tmp_path / "partly.duckdb"

    first = _load(season, warehouse, "--session", str(race))
    assert _requests(first) == 2 + len(LIGHT)  # one session: asked for by its own key
    before = _load_ids(warehouse, race)
    assert all(len(ids) == 1 for ids in before.values()), before

    second = _load(season, warehouse, "--meeting", str(meeting))
    assert "1 skipped as already loaded" in second
    assert _requests(second) == 2 + len(LIGHT)  # the six other sessions: one request per endpoint
    # the race came with the meeting's answers but was not due: its rows are those of the first load
    assert _load_ids(warehouse, race) == before

    reference = tmp_path / "reference.duckdb"
    _load(season, reference, "--meeting", str(meeting))
    assert table_counts(warehouse) == table_counts(reference)
