"""Results amended after the race (OpenF1 #242): the simulator's amended snapshot, the replay server serving both
versions, and the loader fetching results again inside the amendment window or on --refresh-results.

Small simulated seasons without telemetry; the loader runs through its command line against the replay server
on loopback. What was fetched again is read from the raw tables' ``_dlt_load_id`` per session, and every
expectation from the snapshot files and the truth sidecar, never from numbers copied out of a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import duckdb
import pytest

from dlt_pipelines.openf1 import catalogue
from openf1_replay.server import ReplayServer
from openf1_replay.simulator import simulate
from openf1_replay.snapshot import ENDPOINTS, endpoint_files, iter_records
from tests.conftest import ROOT, run_module
from tests.loader.test_pipeline import expected_rows, table_counts

PIPELINE = "dlt_pipelines.pipeline"
RACE_POINTS = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
SETTLE = timedelta(hours=3)
# the loader's default window must hold in these tests, whatever the caller's environment says
NO_WINDOW_ENV = {"OPENF1_RESULTS_WINDOW_DAYS": ""}

Pair = tuple[Path, Path, dict[str, Any]]


def records(snapshot: Path, endpoint: str) -> list[dict[str, Any]]:
    return list(iter_records(snapshot, endpoint))


def simulate_pair(root: Path, amend: str, amend_round: int | None = None) -> Pair:
    """Two 2025 rounds without telemetry, with ``--amend``: (first snapshot, amended snapshot, truth)."""
    out = root / "season"
    summary = simulate(2025, 2, 5, out, telemetry="none", amend=amend, amend_round=amend_round)
    truth = json.loads(Path(summary["truth"]).read_text())
    return out, Path(summary["amended"]), truth


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """A time penalty and a disqualification after round 1's race, so round 2's championship changes too."""
    return simulate_pair(tmp_path_factory.mktemp("amended"), "both", amend_round=1)


def session_rows(snapshot: Path, endpoint: str, session_key: int) -> list[dict[str, Any]]:
    return [r for r in records(snapshot, endpoint) if r["session_key"] == session_key]


def by_driver(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["driver_number"]: row for row in rows}


def by_session(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["session_key"]].append(row)
    return grouped


# ---- the simulator ------------------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_amendment_is_deterministic_and_opt_in(pair: Pair, tmp_path: Path) -> None:
    first, amended, truth = pair
    again_first, again_amended, again_truth = simulate_pair(tmp_path / "again", "both", amend_round=1)
    assert _files(again_first) == _files(first)
    assert _files(again_amended) == _files(amended)
    assert again_truth == truth

    plain = tmp_path / "plain" / "season"
    simulate(2025, 2, 5, plain, telemetry="none")
    assert not plain.with_name("season.amended").exists()
    plain_truth = json.loads(plain.with_name("season.truth.json").read_text())
    assert "amendment" not in plain_truth and "amend" not in plain_truth["arguments"]
    for endpoint in ENDPOINTS:  # the first version is the season a run without --amend writes, byte for byte
        assert [p.read_bytes() for p in endpoint_files(plain, endpoint)] == [
            p.read_bytes() for p in endpoint_files(first, endpoint)
        ], endpoint

    # a later run into the same folder without --amend removes the amended folder it would leave stale
    simulate(2025, 2, 6, again_first, telemetry="none")
    assert not again_amended.exists()


def test_only_the_results_differ_and_the_rest_is_shared(pair: Pair) -> None:
    first, amended, truth = pair
    amendment = truth["amendment"]
    assert amendment["snapshot"] == amended.name and amended.parent == first.parent
    assert set(amendment["endpoints"]) <= set(catalogue.AMENDABLE)
    for endpoint in ENDPOINTS:
        old, new = endpoint_files(first, endpoint), endpoint_files(amended, endpoint)
        assert [p.relative_to(first) for p in old] == [p.relative_to(amended) for p in new], endpoint
        shared = [os.path.samefile(a, b) for a, b in zip(old, new, strict=True)]
        assert all(shared) if endpoint not in amendment["endpoints"] else not any(shared), endpoint
    race = amendment["session_key"]
    for endpoint in amendment["endpoints"]:
        before, after = by_session(records(first, endpoint)), by_session(records(amended, endpoint))
        assert before.keys() == after.keys()
        changed = {key for key in before if before[key] != after[key]}
        if endpoint == "championship_drivers":
            assert changed == set(amendment["championship_sessions"])
        elif endpoint != "championship_teams":
            assert changed == {race}, endpoint


def test_the_amended_classification_follows_the_decisions(pair: Pair) -> None:
    first, amended, truth = pair
    amendment = truth["amendment"]
    race = amendment["session_key"]
    before = by_driver(session_rows(first, "session_result", race))
    after = by_driver(session_rows(amended, "session_result", race))
    assert before.keys() == after.keys()

    changes = [
        {
            "driver_number": number,
            "position_before": before[number]["position"],
            "position_after": after[number]["position"],
            "points_before": before[number]["points"],
            "points_after": after[number]["points"],
        }
        for number in sorted(before)
        if (before[number]["position"], before[number]["points"])
        != (after[number]["position"], after[number]["points"])
    ]
    assert [{k: v for k, v in c.items() if k != "driver_id"} for c in amendment["classification_changes"]] == changes

    kinds = Counter(d["kind"] for d in amendment["decisions"])
    assert kinds == {"time_penalty": 1, "dsq": 1}
    drivers = {(seat["round"], seat["driver_number"]): d["driver_id"] for d in truth["drivers"] for seat in d["rounds"]}
    for decision in amendment["decisions"]:
        number = decision["driver_number"]
        assert drivers[amendment["round"], number] == decision["driver_id"]
        assert before[number]["position"] <= len(RACE_POINTS) and before[number]["points"] > 0  # a points finisher
        assert (decision["position_before"], decision["position_after"]) == (
            before[number]["position"],
            after[number]["position"],
        )
        if decision["kind"] == "dsq":  # as OpenF1 shows one: no position, no points, dsq left false
            assert after[number]["position"] is None and after[number]["points"] == 0
            assert after[number]["dsq"] is False and after[number]["duration"] is None
        else:
            assert after[number]["duration"] == pytest.approx(before[number]["duration"] + decision["seconds"])
            passed_him = [
                n
                for n, row in after.items()
                if row["position"] is not None
                and before[n]["position"] is not None
                and before[n]["position"] > before[number]["position"]
                and row["position"] < after[number]["position"]
            ]
            assert len(passed_him) >= 2

    classified = sorted((row["position"], row["points"]) for row in after.values() if row["position"] is not None)
    assert [p for p, _ in classified] == list(range(1, len(classified) + 1))
    assert all(points == (RACE_POINTS[p - 1] if p <= len(RACE_POINTS) else 0) for p, points in classified)
    winner = next(row for row in after.values() if row["position"] == 1)
    assert winner["gap_to_leader"] == 0.0


def test_race_control_announces_the_decisions_after_the_results_settled(pair: Pair) -> None:
    first, amended, truth = pair
    amendment = truth["amendment"]
    race = amendment["session_key"]
    before, after = session_rows(first, "race_control", race), session_rows(amended, "race_control", race)
    assert after[: len(before)] == before
    added = after[len(before) :]
    assert [r["message"] for r in added] == [d["message"] for d in amendment["decisions"]]
    assert [r["date"] for r in added] == [d["published_at"] for d in amendment["decisions"]]
    ended = next(s for s in records(first, "sessions") if s["session_key"] == race)["date_end"]
    assert all(datetime.fromisoformat(r["date"]) > datetime.fromisoformat(ended) + SETTLE for r in added)


def test_the_amended_championships_count_the_amended_result(pair: Pair) -> None:
    first, amended, truth = pair
    race = truth["amendment"]["session_key"]
    changed = truth["amendment"]["championship_sessions"]
    later = sorted({r["session_key"] for r in records(first, "championship_drivers") if r["session_key"] >= race})
    assert changed == later and len(later) >= 2  # the amended race and the one after it

    drivers = {(d["session_key"], d["driver_number"]): d for d in records(amended, "drivers")}
    results = by_session(records(amended, "session_result"))
    teams = by_session(records(amended, "championship_teams"))
    person: Counter[str] = Counter()
    team: Counter[str] = Counter()
    for key, rows in sorted(by_session(records(amended, "championship_drivers")).items()):
        for row in results[key]:
            driver = drivers[key, row["driver_number"]]
            person[driver["full_name"]] += row["points"]
            team[driver["team_name"]] += row["points"]
        for row in rows:
            assert row["points_current"] == person[drivers[key, row["driver_number"]]["full_name"]]
        for row in teams[key]:
            assert row["points_current"] == team[row["team_name"]]


def run_simulator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openf1_replay.simulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--amend", "crash"], id="unknown-kind"),
        pytest.param(["--amend", "--amend-round", "3"], id="round-after-the-season"),
        pytest.param(["--amend-round", "1"], id="round-without-amend"),
        pytest.param(["--amend", "--amend-round", "2", "--cancelled-round", "2"], id="cancelled-round"),
    ],
)
def test_bad_amend_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    done = run_simulator(
        "--season", "2025", "--rounds", "2", "--telemetry", "none", *args, "--out", str(tmp_path / "s")
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--amend" in done.stderr
    assert not (tmp_path / "s").exists() and not (tmp_path / "s.amended").exists()


# ---- the replay server --------------------------------------------------------------------------------


def _get(server: ReplayServer, endpoint: str, session_key: int) -> bytes:
    with urlopen(f"{server.base_url}/{endpoint}?session_key={session_key}", timeout=30) as answer:
        return answer.read()


def test_the_replay_server_serves_either_version(pair: Pair) -> None:
    first, amended, truth = pair
    race = truth["amendment"]["session_key"]
    with ReplayServer(first, rate_limit=None) as before, ReplayServer(amended, rate_limit=None) as after:
        for server, snapshot in ((before, first), (after, amended)):
            for endpoint in truth["amendment"]["endpoints"]:
                served = json.loads(_get(server, endpoint, race))
                stored = session_rows(snapshot, endpoint, race)
                key = json.dumps  # order-free comparison of whole records
                assert sorted(map(key, served)) == sorted(map(key, stored)), endpoint
        assert _get(before, "session_result", race) != _get(after, "session_result", race)
        assert _get(before, "laps", race) == _get(after, "laps", race)


# ---- the loader ---------------------------------------------------------------------------------------


def load(source: Path, warehouse: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run the loader; its stdout (the summary) and stderr (progress), which must end well."""
    done = run_module(PIPELINE, "--source", str(source), "--warehouse", str(warehouse), *args, env=env or NO_WINDOW_ENV)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout + done.stderr


def load_ids(warehouse: Path) -> dict[tuple[str, int], str]:
    """(table, session_key) -> the load its rows came from (one per session: a session loads whole)."""
    ids: dict[tuple[str, int], str] = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for table in catalogue.ENDPOINTS:
            spec = catalogue.ENDPOINTS[table]
            if not spec.per_session or spec.telemetry:
                continue
            rows = connection.execute(
                f"select session_key, min(_dlt_load_id), max(_dlt_load_id) from raw_openf1.{table} group by 1"
            ).fetchall()
            for session, low, high in rows:
                assert low == high, (table, session)
                ids[table, session] = low
    return ids


def raw_classification(warehouse: Path, session_key: int) -> dict[int, tuple[int | None, float]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select driver_number, position, points from raw_openf1.session_result where session_key = ?",
            [session_key],
        ).fetchall()
    return {number: (position, points) for number, position, points in rows}


def file_classification(snapshot: Path, session_key: int) -> dict[int, tuple[int | None, float]]:
    return {
        r["driver_number"]: (r["position"], r["points"]) for r in session_rows(snapshot, "session_result", session_key)
    }


def refetched(before: dict[tuple[str, int], str], after: dict[tuple[str, int], str]) -> set[tuple[str, int]]:
    assert before.keys() == after.keys()
    return {key for key in before if before[key] != after[key]}


@pytest.mark.slow
def test_refresh_results_fetches_old_results_again_and_nothing_else(pair: Pair, tmp_path: Path) -> None:
    """A 2025 season is long final: only --refresh-results fetches its results again, and only its results."""
    first, amended, truth = pair
    race = truth["amendment"]["session_key"]
    warehouse = tmp_path / "w.duckdb"
    load(first, warehouse)
    loaded = load_ids(warehouse)
    assert raw_classification(warehouse, race) == file_classification(first, race)

    quiet = load(amended, warehouse)
    assert "0 sessions fetched" in quiet and "results refetched" not in quiet
    assert load_ids(warehouse) == loaded
    assert raw_classification(warehouse, race) == file_classification(first, race)

    output = load(amended, warehouse, "--refresh-results")
    sessions = {s["session_key"] for s in records(first, "sessions")}
    assert f"results refetched for {len(sessions)} sessions on request (--refresh-results)" in output
    assert output.count("(results only: --refresh-results)") == len(sessions)
    after = load_ids(warehouse)
    assert refetched(loaded, after) == {key for key in loaded if key[0] in catalogue.AMENDABLE}
    assert raw_classification(warehouse, race) == file_classification(amended, race)
    assert raw_classification(warehouse, race) != file_classification(first, race)

    # idempotent: loading the amended results again, or once into a new warehouse, gives the same rows
    counts = table_counts(warehouse)
    load(amended, warehouse, "--refresh-results")
    assert table_counts(warehouse) == counts
    fresh = tmp_path / "fresh.duckdb"
    load(amended, fresh)
    assert table_counts(fresh) == counts
    for endpoint in catalogue.ENDPOINTS:
        if not catalogue.ENDPOINTS[endpoint].telemetry:
            assert counts[endpoint] == expected_rows(amended, endpoint), endpoint


def redated(source: Path, target: Path, last_race_ended: datetime) -> Path:
    """A copy of ``source`` (other files linked) whose sessions are moved in time so that its last race ended
    at ``last_race_ended``: a season happening now."""
    sessions = records(source, "sessions")
    last = max(datetime.fromisoformat(s["date_end"]) for s in sessions if s["session_type"] == "Race")
    shift = last_race_ended - last
    target.mkdir(parents=True)
    for path in source.iterdir():
        if not path.name.startswith("sessions."):
            (target / path.name).symlink_to(path.resolve())
    moved = [
        {**s, **{k: (datetime.fromisoformat(s[k]) + shift).isoformat() for k in ("date_start", "date_end")}}
        for s in sessions
    ]
    (target / "sessions.jsonl").write_text("".join(json.dumps(s) + "\n" for s in moved))
    return target


@pytest.fixture(scope="module")
def recent(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """A disqualification after round 2's race (the default: the last race), the season moved so that this
    race ended two days ago and round 1's sessions more than seven days ago."""
    root = tmp_path_factory.mktemp("recent")
    first, amended, truth = simulate_pair(root, "dsq")
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    return redated(first, root / "now", ended), redated(amended, root / "now.amended", ended), truth


@pytest.mark.slow
def test_a_young_sessions_results_are_refetched_inside_the_window(recent: Pair, tmp_path: Path) -> None:
    first, amended, truth = recent
    race = truth["amendment"]["session_key"]
    now = datetime.now(UTC)
    sessions = records(first, "sessions")
    young = {s["session_key"] for s in sessions if datetime.fromisoformat(s["date_end"]) > now - timedelta(days=7)}
    settled = {s["session_key"] for s in sessions if datetime.fromisoformat(s["date_end"]) < now - SETTLE}
    assert race in young and young <= settled and settled - young  # settled young sessions, and old ones

    warehouse = tmp_path / "w.duckdb"
    load(first, warehouse)
    loaded = load_ids(warehouse)
    output = load(amended, warehouse)
    assert f"results refetched for {len(young)} sessions inside the 7-day amendment window" in output
    assert output.count("(results only: inside the 7-day amendment window)") == len(young)
    again = refetched(loaded, load_ids(warehouse))
    # the young sessions' results, and nothing else: not their laps (settled), not the old sessions' results
    assert again == {(table, key) for table, key in loaded if table in catalogue.AMENDABLE and key in young}
    assert raw_classification(warehouse, race) == file_classification(amended, race)
    assert raw_classification(warehouse, race) != file_classification(first, race)

    # the window comes from the environment (the Makefile's RESULTS_WINDOW_DAYS) or the option; 0 closes it
    closed = load(amended, warehouse, env={"OPENF1_RESULTS_WINDOW_DAYS": "0"})
    assert "0 sessions fetched" in closed and "results refetched" not in closed


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        pytest.param(
            {"OPENF1_RESULTS_WINDOW_DAYS": "soon"}, [], "OPENF1_RESULTS_WINDOW_DAYS=soon", id="env-not-a-number"
        ),
        pytest.param({"OPENF1_RESULTS_WINDOW_DAYS": "-3"}, [], "RESULTS_WINDOW_DAYS", id="env-negative"),
        pytest.param({}, ["--results-window-days", "-1"], "--results-window-days -1", id="option-negative"),
        pytest.param({}, ["--results-window-days", "nan"], "--results-window-days nan", id="option-nan"),
        pytest.param({}, ["--results-window-days", "a week"], "--results-window-days a week", id="option-text"),
    ],
)
def test_a_bad_window_is_one_line_naming_the_fix(
    env: dict[str, str], args: list[str], named: str, tmp_path: Path
) -> None:
    warehouse = tmp_path / "untouched.duckdb"
    done = run_module(PIPELINE, "--source", "/nonexistent", "--warehouse", str(warehouse), *args, env=env, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "give a number of days" in lines[0], done.stderr
    assert not warehouse.exists()
