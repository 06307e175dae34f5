"""The season simulator: determinism, the snapshot contract, a race that holds together, the real-data quirks.

Small seasons only (the whole file runs in well under a minute). Expectations come from the data itself and
the sport's rules (OPENF1.md), never from numbers copied out of a run.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openf1_replay.simulator import SimulatorError, simulate
from openf1_replay.snapshot import (
    ENDPOINTS,
    endpoint_files,
    endpoints_in,
    iter_file,
    iter_records,
    matches_index,
    read_index,
)

ROOT = Path(__file__).resolve().parents[2]
REAL = Path(os.environ.get("OPENF1_SHARED", ROOT.parent / "shared")) / "openf1-real"
HZ = 1.0
RACE_POINTS = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
SPRINT_POINTS = (8, 7, 6, 5, 4, 3, 2, 1)
# fields we add beside the real records' fields, each documented in OPENF1.md's endpoint table
DOCUMENTED_EXTRAS = {
    "meetings": {"date_end", "is_cancelled", "circuit_type"},
    "sessions": {"is_cancelled"},
    "pit": {"lane_duration", "stop_duration"},
}


# ---- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three rounds of 2025 (a sprint weekend, a wet race, the driver change) with 1 Hz race telemetry."""
    out = tmp_path_factory.mktemp("sim") / "season"
    simulate(2025, 3, 11, out, telemetry="races", telemetry_hz=HZ)
    return out


@pytest.fixture(scope="module")
def truth(season: Path) -> dict[str, Any]:
    return json.loads(season.with_name("season.truth.json").read_text())


def records(snapshot: Path, endpoint: str) -> list[dict[str, Any]]:
    return list(iter_records(snapshot, endpoint))


def race_sessions(truth: dict[str, Any], name: str | None = None) -> Iterator[dict[str, Any]]:
    for round_ in truth["rounds"]:
        for session in round_["sessions"]:
            if session["session_type"] == "Race" and (name is None or session["session_name"] == name):
                yield session


def by_session(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["session_key"]].append(row)
    return grouped


# ---- determinism and the snapshot contract ------------------------------------------------------------


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "snap", tmp_path / "b" / "snap"
    for out in (first, second):
        simulate(2025, 2, 5, out, telemetry="races", telemetry_hz=0.5)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert any(str(f).startswith("car_data/") for f in files)
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert first.with_name("snap.truth.json").read_bytes() == second.with_name("snap.truth.json").read_bytes()


def test_every_endpoint_is_written(season: Path) -> None:
    assert endpoints_in(season) == list(ENDPOINTS)
    sessions = {s["session_key"] for s in records(season, "sessions") if s["session_type"] == "Race"}
    for endpoint in ("car_data", "location"):
        parts = {int(p.name.split(".")[0]) for p in endpoint_files(season, endpoint)}
        assert parts == sessions  # --telemetry races: one file per race or sprint


def test_lines_are_canonical_json(season: Path) -> None:
    """Fast-formatted files (intervals, telemetry) must read exactly like SnapshotWriter's json.dumps output."""
    for endpoint in ENDPOINTS:
        for path in endpoint_files(season, endpoint):
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                for number, line in enumerate(handle):
                    if number >= 20_000:
                        break
                    record = json.loads(line)
                    assert line.rstrip("\n") == json.dumps(record, separators=(", ", ": "), ensure_ascii=False)


def _real_files(endpoint: str) -> list[Path]:
    return sorted(REAL.glob(f"*/{endpoint}.jsonl.gz"))


def _real_shape(endpoint: str) -> tuple[list[str], bool, dict[str, set[str]]]:
    """The commonest key order in the real files, whether that order is stable, and JSON types per field."""
    orders: Counter[tuple[str, ...]] = Counter()
    types: dict[str, set[str]] = defaultdict(set)
    for path in _real_files(endpoint):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if endpoint in ("car_data", "location") and number >= 3000:
                    break  # telemetry-sized file: a sample is enough
                record = json.loads(line)
                orders[tuple(record)] += 1
                for key, value in record.items():
                    types[key].add(type(value).__name__)
    common = list(orders.most_common(1)[0][0])
    stable = len({frozenset(o) for o in orders}) == len(orders)
    return common, stable, types


@pytest.mark.real
@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e not in ("championship_drivers", "championship_teams")])
def test_record_shapes_match_real_openf1(season: Path, endpoint: str) -> None:
    if not REAL.is_dir():
        pytest.skip(f"real OpenF1 snapshots not available at {REAL} (../shared is absent on this machine)")
    if not _real_files(endpoint):
        pytest.skip(f"no real {endpoint} records under {REAL}")
    expected, stable, real_types = _real_shape(endpoint)
    simulated = next(iter(iter_records(season, endpoint)))
    keys = list(simulated)
    assert set(expected) <= set(keys), f"missing fields {set(expected) - set(keys)}"
    assert set(keys) - set(expected) <= DOCUMENTED_EXTRAS.get(endpoint, set())
    if stable:
        assert [k for k in keys if k in expected] == expected
    for record in iter_records(season, endpoint):
        for key in expected:
            kind = type(record[key]).__name__
            assert kind in real_types[key] or kind == "NoneType" or real_types[key] <= {"NoneType"}, (key, kind)
        if endpoint in ("car_data", "location"):
            break  # a telemetry file is big; the first record of each is enough


# ---- a race that holds together -----------------------------------------------------------------------


def test_stints_cover_each_drivers_laps(season: Path, truth: dict[str, Any]) -> None:
    stints = by_session(records(season, "stints"))
    laps = by_session(records(season, "laps"))
    results = by_session(records(season, "session_result"))
    for race in race_sessions(truth):
        key = race["session_key"]
        missing = {(m["driver_number"], m["lap_number"]) for m in race["missing_laps"]}
        for result in results[key]:
            number, done = result["driver_number"], result["number_of_laps"]
            own = sorted((s for s in stints[key] if s["driver_number"] == number), key=lambda s: s["stint_number"])
            if done == 0:
                assert not own
                continue
            assert own[0]["lap_start"] == 1 and own[-1]["lap_end"] == done
            for before, after in pairwise(own):
                assert after["lap_start"] == before["lap_end"] + 1  # no gaps, no overlaps
            lap_numbers = {lap["lap_number"] for lap in laps[key] if lap["driver_number"] == number}
            assert lap_numbers == {n for n in range(1, done + 1) if (number, n) not in missing}


def test_laps_add_up(season: Path) -> None:
    for lap in records(season, "laps"):
        if lap["lap_duration"] is None:
            continue
        total = lap["duration_sector_1"] + lap["duration_sector_2"] + lap["duration_sector_3"]
        assert total == pytest.approx(lap["lap_duration"], abs=0.0015)


def test_every_pit_stop_changes_stint(season: Path, truth: dict[str, Any]) -> None:
    stints = by_session(records(season, "stints"))
    pits = records(season, "pit")
    assert pits
    for pit in pits:
        own = [s for s in stints[pit["session_key"]] if s["driver_number"] == pit["driver_number"]]
        assert any(s["lap_end"] == pit["lap_number"] for s in own)
        assert any(s["lap_start"] == pit["lap_number"] + 1 for s in own)
        assert pit["pit_duration"] == pit["lane_duration"]
        assert 2.0 <= pit["stop_duration"] <= 3.5 and pit["stop_duration"] < pit["lane_duration"]
    for race in race_sessions(truth, "Race"):
        stops = Counter(p["driver_number"] for p in pits if p["session_key"] == race["session_key"])
        retired = {r["driver_number"] for r in race["retirements"]}
        for number, plan in race["stints"].items():
            if plan and int(number) not in retired:
                assert 1 <= stops[int(number)] <= 3
                if not race["wet_laps"]:
                    assert len({compound for compound, *_ in plan}) >= 2  # two dry compounds in a dry race


def test_positions_are_a_permutation_at_every_moment(season: Path, truth: dict[str, Any]) -> None:
    positions = by_session(records(season, "position"))
    for race in race_sessions(truth):
        events = positions[race["session_key"]]
        starters = {e["driver_number"] for e in events}
        state: dict[int, int] = {}
        for date in sorted({e["date"] for e in events}):
            state.update({e["driver_number"]: e["position"] for e in events if e["date"] == date})
            if len(state) == len(starters):
                assert sorted(state.values()) == list(range(1, len(starters) + 1)), date
        assert not {d["driver_number"] for d in race["dns"]} & starters


def test_intervals_and_overtakes_follow_the_order(season: Path, truth: dict[str, Any]) -> None:
    intervals = by_session(records(season, "intervals"))
    overtakes = by_session(records(season, "overtakes"))
    for race in race_sessions(truth):
        rows = intervals[race["session_key"]]
        assert rows
        for row in rows:
            gap = row["gap_to_leader"]
            assert isinstance(gap, float) or (gap.startswith("+") and gap.split()[1] in ("LAP", "LAPS"))
            assert isinstance(row["interval"], float) and row["interval"] >= 0
            assert not isinstance(gap, float) or gap >= 0
        for row in overtakes[race["session_key"]]:
            assert row["overtaking_driver_number"] != row["overtaken_driver_number"]
            assert 1 <= row["position"] <= 20


def test_points_follow_the_rules(season: Path, truth: dict[str, Any]) -> None:
    results = by_session(records(season, "session_result"))
    for race in race_sessions(truth):
        rows = results[race["session_key"]]
        table = SPRINT_POINTS if race["session_name"] == "Sprint" else RACE_POINTS
        classified = sorted(r["position"] for r in rows if r["position"] is not None)
        assert classified == list(range(1, len(classified) + 1))
        assert sum(r["points"] for r in rows) == sum(table[: len(classified)])  # 2025: no fastest-lap point
        for row in rows:
            expected = table[row["position"] - 1] if row["position"] and row["position"] <= len(table) else 0
            assert row["points"] == expected
        winner = next(r for r in rows if r["position"] == 1)
        assert winner["gap_to_leader"] == 0.0 and winner["number_of_laps"] == race["laps"]


def test_fastest_lap_point_until_2024(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    simulate(2024, 1, 4, out, telemetry="none")
    rows = [r for r in records(out, "session_result") if isinstance(r["duration"], float | None)]
    race_key = max(r["session_key"] for r in rows)
    rows = [r for r in rows if r["session_key"] == race_key]
    laps = [lap for lap in records(out, "laps") if lap["session_key"] == race_key and lap["lap_duration"] is not None]
    fastest = min(laps, key=lambda lap: lap["lap_duration"])["driver_number"]
    position = next(r["position"] for r in rows if r["driver_number"] == fastest)
    classified = sum(1 for r in rows if r["position"] is not None)
    bonus = 1 if position is not None and position <= 10 else 0
    assert sum(r["points"] for r in rows) == sum(RACE_POINTS[:classified]) + bonus


def test_championship_equals_accumulated_points(season: Path) -> None:
    names = {(d["session_key"], d["driver_number"]): d["full_name"] for d in records(season, "drivers")}
    teams = {(d["session_key"], d["driver_number"]): d["team_name"] for d in records(season, "drivers")}
    results = by_session(records(season, "session_result"))
    championship = by_session(records(season, "championship_drivers"))
    constructors = by_session(records(season, "championship_teams"))
    person: Counter[str] = Counter()
    team: Counter[str] = Counter()
    assert championship
    for key in sorted(championship):  # session keys grow with time
        for row in results[key]:
            person[names[key, row["driver_number"]]] += row["points"]
            team[teams[key, row["driver_number"]]] += row["points"]
        for row in championship[key]:
            assert row["points_current"] == person[names[key, row["driver_number"]]]
            assert row["points_current"] - row["points_start"] == next(
                r["points"] for r in results[key] if r["driver_number"] == row["driver_number"]
            )
        for row in constructors[key]:
            assert row["points_current"] == team[row["team_name"]]
        ranked = sorted(constructors[key], key=lambda r: r["position_current"])
        assert [r["points_current"] for r in ranked] == sorted((r["points_current"] for r in ranked), reverse=True)


def test_safety_car_laps_are_slower(season: Path, truth: dict[str, Any]) -> None:
    laps = by_session(records(season, "laps"))
    neutralised = [r for r in race_sessions(truth) if r["sc_laps"] or r["vsc_laps"]]
    assert any(r["sc_laps"] for r in neutralised) and any(r["vsc_laps"] for r in neutralised)
    control = by_session(records(season, "race_control"))
    for race in neutralised:
        slow = set(race["sc_laps"]) | set(race["vsc_laps"])
        timed = [lap for lap in laps[race["session_key"]] if lap["lap_duration"] is not None and lap["lap_number"] > 1]
        under = [lap["lap_duration"] for lap in timed if lap["lap_number"] in slow]
        green = [lap["lap_duration"] for lap in timed if lap["lap_number"] not in slow]
        assert np.median(under) > 1.15 * np.median(green)
        messages = [m["message"] for m in control[race["session_key"]]]
        if race["sc_laps"]:
            assert "SAFETY CAR DEPLOYED" in messages and "SAFETY CAR IN THIS LAP" in messages
        if race["vsc_laps"]:
            assert "VIRTUAL SAFETY CAR DEPLOYED" in messages and "VIRTUAL SAFETY CAR ENDING" in messages
        assert messages[-1] == "CHEQUERED FLAG" or "CHEQUERED FLAG" in messages


def test_rain_brings_intermediates_and_rainfall(season: Path, truth: dict[str, Any]) -> None:
    wet = [r for r in race_sessions(truth) if r["wet_laps"]]
    assert wet
    stints = by_session(records(season, "stints"))
    weather = by_session(records(season, "weather"))
    for race in wet:
        assert any(s["compound"] == "INTERMEDIATE" for s in stints[race["session_key"]])
        assert any(w["rainfall"] == 1 for w in weather[race["session_key"]])


# ---- qualifying and the grid --------------------------------------------------------------------------


def test_qualifying_knockout_and_grid(season: Path) -> None:
    sessions = {s["session_key"]: s for s in records(season, "sessions")}
    results = by_session(records(season, "session_result"))
    grids = by_session(records(season, "starting_grid"))
    positions = by_session(records(season, "position"))
    qualifying = [k for k, s in sessions.items() if s["session_type"] == "Qualifying" and not s["is_cancelled"]]
    assert any(sessions[k]["session_name"] == "Sprint Qualifying" for k in qualifying)
    for key in qualifying:
        rows = sorted(results[key], key=lambda r: r["position"])
        assert [r["position"] for r in rows] == list(range(1, 21))
        for row in rows:
            reached = 3 if row["position"] <= 10 else 2 if row["position"] <= 15 else 1
            assert len(row["duration"]) == len(row["gap_to_leader"]) == 3
            assert all(d is None for d in row["duration"][reached:])
            assert row["duration"][reached - 1] is not None
        for phase in range(3):
            times = [r["duration"][phase] for r in rows if r["duration"][phase] is not None]
            for row in rows:
                if row["duration"][phase] is not None:
                    assert row["gap_to_leader"][phase] == pytest.approx(row["duration"][phase] - min(times), abs=1e-6)
        for cut in (10, 15):  # eliminated drivers were slower than everyone who went through
            through = [r["duration"][1 if cut == 10 else 0] for r in rows[:cut]]
            out = [r["duration"][1 if cut == 10 else 0] for r in rows[cut:]]
            assert max(through) <= min(t for t in out if t is not None)
        grid = {g["driver_number"]: g for g in grids[key]}
        assert {g["session_key"] for g in grids[key]} == {key}  # keyed by the qualifying session
        for row in rows:
            assert grid[row["driver_number"]]["position"] == row["position"]
            last = [d for d in row["duration"] if d is not None][-1]
            assert grid[row["driver_number"]]["lap_duration"] == last
        race_name = "Sprint" if sessions[key]["session_name"] == "Sprint Qualifying" else "Race"
        race_key = next(
            k
            for k, s in sessions.items()
            if s["meeting_key"] == sessions[key]["meeting_key"] and s["session_name"] == race_name
        )
        start = [p for p in positions[race_key] if p["date"] == min(q["date"] for q in positions[race_key])]
        order = [p["driver_number"] for p in sorted(start, key=lambda p: p["position"])]
        assert order == [r["driver_number"] for r in rows if r["driver_number"] in order]


def test_practice_results_are_best_laps(season: Path) -> None:
    sessions = {s["session_key"]: s for s in records(season, "sessions")}
    laps = by_session(records(season, "laps"))
    for key, rows in by_session(records(season, "session_result")).items():
        if sessions[key]["session_type"] != "Practice" or sessions[key]["is_cancelled"]:
            continue
        fastest = min(r["duration"] for r in rows)
        for row in rows:
            own = [lap["lap_duration"] for lap in laps[key] if lap["driver_number"] == row["driver_number"]]
            assert row["duration"] in own and row["number_of_laps"] == len(own)
            assert row["gap_to_leader"] == pytest.approx(row["duration"] - fastest, abs=1e-6)


# ---- people -------------------------------------------------------------------------------------------


def test_driver_change_and_number_reuse(season: Path) -> None:
    sessions = {s["session_key"]: s for s in records(season, "sessions")}
    drivers = records(season, "drivers")
    seats: dict[str, set[str]] = defaultdict(set)
    people_by_number: dict[int, set[str]] = defaultdict(set)
    first_round: dict[str, int] = {}
    for d in drivers:
        round_ = (
            sorted({s["meeting_key"] for s in sessions.values()}).index(sessions[d["session_key"]]["meeting_key"]) + 1
        )
        seats[d["team_name"]].add(d["full_name"])
        people_by_number[d["driver_number"]].add(d["full_name"])
        first_round.setdefault(d["full_name"], round_)
    assert any(len(names) > 2 for names in seats.values())  # someone left and a replacement took the seat
    assert any(first_round[name] > 1 for name in first_round)
    assert any(len(names) > 1 for names in people_by_number.values())  # a number changed hands
    teams_of_number = defaultdict(set)
    for d in drivers:
        teams_of_number[d["driver_number"]].add(d["team_name"])
    assert any(len(people_by_number[n]) > 1 and len(t) > 1 for n, t in teams_of_number.items())


# ---- the deliberate real-data quirks ------------------------------------------------------------------


def test_real_data_quirks(season: Path, truth: dict[str, Any]) -> None:
    for lap in records(season, "laps"):
        if lap["lap_number"] == 1:
            assert lap["date_start"] is None and lap["lap_duration"] is None and lap["duration_sector_1"] is None
            assert lap["duration_sector_2"] is not None
    duplicated = Counter(json.dumps(d, sort_keys=True) for d in records(season, "drivers"))
    assert any(count == 2 for count in duplicated.values())
    stints = records(season, "stints")
    laps = {(lap["session_key"], lap["driver_number"], lap["lap_number"]) for lap in records(season, "laps")}
    results = by_session(records(season, "session_result"))
    control = by_session(records(season, "race_control"))
    for race in race_sessions(truth, "Race"):
        key = race["session_key"]
        for gone in race["missing_laps"]:
            assert (key, gone["driver_number"], gone["lap_number"]) not in laps
        for quirk in race["null_compound_stints"]:
            stint = next(
                s
                for s in stints
                if s["session_key"] == key
                and (s["driver_number"], s["stint_number"]) == (quirk["driver_number"], quirk["stint_number"])
            )
            assert stint["compound"] is None
        for dsq in race["dsq"]:
            row = next(r for r in results[key] if r["driver_number"] == dsq["driver_number"])
            assert row["position"] is None and row["points"] == 0.0
            assert not row["dsq"] and not row["dnf"] and not row["dns"]  # as real OpenF1 writes it
            assert any("DISQUALIFIED" in m["message"] for m in control[key])
        for dns in race["dns"]:
            row = next(r for r in results[key] if r["driver_number"] == dns["driver_number"])
            assert row["dns"] and row["number_of_laps"] == 0 and row["position"] is None
    assert sum(len(r["dsq"]) for r in race_sessions(truth)) == 1
    assert sum(len(r["dns"]) for r in race_sessions(truth)) == 1
    assert any(r["retirements"] for r in race_sessions(truth))
    assert any(r["dnf"] for rows in results.values() for r in rows)


def test_a_sector_clear_shares_the_second_of_a_deployment(season: Path, truth: dict[str, Any]) -> None:
    """As in real OpenF1 (Canada 2024 at 19:23:59): 'SAFETY CAR DEPLOYED' and a sector CLEAR, same ``date``."""
    control = by_session(records(season, "race_control"))
    ties = []
    for race in race_sessions(truth):
        messages = control[race["session_key"]]
        deployed = {m["date"]: m for m in messages if m["category"] == "SafetyCar" and "DEPLOYED" in m["message"]}
        for clear in (m for m in messages if m["flag"] == "CLEAR" and m["scope"] == "Sector"):
            if clear["date"] in deployed:
                assert clear["message"] == f"CLEAR IN TRACK SECTOR {clear['sector']}"
                assert clear["lap_number"] == deployed[clear["date"]]["lap_number"]
                ties.append(clear)
    assert ties, "no deployment shares its second with a sector CLEAR"


# ---- telemetry ----------------------------------------------------------------------------------------


def test_telemetry_files_are_in_answer_order_and_indexed(season: Path) -> None:
    """Each session's telemetry file is sorted as OpenF1 answers it (time, then car number) and listed in the
    folder's index with the counts of its text, so the replay server can answer it without sorting."""
    for endpoint in ("car_data", "location"):
        index = read_index(season / endpoint)
        files = endpoint_files(season, endpoint)
        assert files and sorted(index) == sorted(p.name for p in files)
        for path in files:
            entry = index[path.name]
            assert entry.order == ("date", "meeting_key", "session_key", "driver_number")
            assert matches_index(path, entry)
            rows = list(iter_file(path))
            assert entry.records == len(rows)
            keys = [(datetime.fromisoformat(r["date"]), r["driver_number"]) for r in rows]
            assert keys == sorted(keys), path
            assert len({r["session_key"] for r in rows}) == 1


def test_telemetry_rate_and_consistency_with_laps(season: Path, truth: dict[str, Any]) -> None:
    race = next(race_sessions(truth, "Race"))
    key = race["session_key"]
    length_m = next(r["length_km"] for r in truth["rounds"] if race in r["sessions"]) * 1000
    car = [r for r in iter_file(season / "car_data" / f"{key}.jsonl.gz")]
    where = [r for r in iter_file(season / "location" / f"{key}.jsonl.gz")]
    assert len(car) == len(where)
    assert {r["drs"] for r in car} <= {0, 1, 8, 10, 12, 14} and {12, 8} <= {r["drs"] for r in car}
    assert all(0 <= r["n_gear"] <= 8 and 0 <= r["throttle"] <= 100 and r["brake"] in (0, 100) for r in car)
    winner = next(
        r["driver_number"] for r in records(season, "session_result") if r["session_key"] == key and r["position"] == 1
    )
    from datetime import datetime

    def ms(row: dict[str, Any]) -> float:
        return datetime.fromisoformat(row["date"]).timestamp() * 1000

    own = [r for r in car if r["driver_number"] == winner]
    stamps = np.array([ms(r) for r in own])
    assert np.median(np.diff(stamps)) == pytest.approx(1000 / HZ, abs=1)
    speed = np.array([r["speed"] for r in own])
    laps = [
        lap
        for lap in records(season, "laps")
        if lap["session_key"] == key and lap["driver_number"] == winner and lap["lap_duration"] is not None
    ]
    assert laps
    for lap in laps[::7]:
        start = datetime.fromisoformat(lap["date_start"]).timestamp() * 1000
        inside = (stamps >= start) & (stamps < start + lap["lap_duration"] * 1000)
        mean_kmh = length_m / lap["lap_duration"] * 3.6
        assert speed[inside].mean() == pytest.approx(mean_kmh, rel=0.06)
    xy = np.array([(r["x"], r["y"]) for r in where if r["driver_number"] == winner], dtype=float)
    step_m = np.hypot(*np.diff(xy, axis=0).T) / 10  # decimetres
    assert step_m.max() < 100 / HZ  # never faster than 360 km/h between samples


# ---- the sidecar, the command line and the options ----------------------------------------------------


def test_truth_sidecar_sits_outside_the_snapshot(season: Path, truth: dict[str, Any]) -> None:
    assert not any(p.name.endswith(".truth.json") for p in season.rglob("*"))
    for key in ("model", "drivers", "teams", "rounds", "lineup_changes", "season_events"):
        assert key in truth
    assert truth["arguments"]["rounds"] == len(truth["rounds"]) == len(records(season, "meetings"))
    degradation = truth["model"]["compound_degradation_s_per_lap"]
    assert degradation["SOFT"] > degradation["MEDIUM"] > degradation["HARD"] > 0


def test_degradation_and_pace_are_recoverable(season: Path, truth: dict[str, Any]) -> None:
    """What the analytics must manage: slopes from fuel-corrected green laps, and driver pace ranks."""
    fuel = truth["model"]["fuel_effect_s_per_lap"]
    laps = {
        (lap["session_key"], lap["driver_number"], lap["lap_number"]): lap["lap_duration"]
        for lap in records(season, "laps")
    }
    names = {(d["session_key"], d["driver_number"]): d["full_name"] for d in records(season, "drivers")}
    num: Counter[str] = Counter()
    den: Counter[str] = Counter()
    residual_by_race: dict[int, list[tuple[str, float]]] = defaultdict(list)
    model = truth["model"]
    races = {r["session_key"]: r for r in race_sessions(truth, "Race") if not r["wet_laps"]}
    for stint in records(season, "stints"):
        race = races.get(stint["session_key"])
        if race is None or stint["compound"] is None:
            continue
        skip = set(race["sc_laps"]) | set(race["vsc_laps"]) | {1}
        points = []
        for lap in range(stint["lap_start"] + 1, stint["lap_end"]):  # not the out-lap or the in-lap
            duration = laps.get((stint["session_key"], stint["driver_number"], lap))
            if duration is None or lap in skip:
                continue
            age = stint["tyre_age_at_start"] + lap - stint["lap_start"]
            corrected = duration - fuel * (race["laps"] - lap + 1)
            points.append((age, corrected))
            tyre = (
                model["compound_offset_s"][stint["compound"]]
                + model["compound_degradation_s_per_lap"][stint["compound"]] * age
            )
            residual_by_race[stint["session_key"]].append(
                (names[stint["session_key"], stint["driver_number"]], corrected - tyre)
            )
        if len(points) >= 4:
            age, y = np.array(points).T
            num[stint["compound"]] += float(((age - age.mean()) * (y - y.mean())).sum())
            den[stint["compound"]] += float(((age - age.mean()) ** 2).sum())
    assert num
    for compound in num:
        estimate = num[compound] / den[compound]
        assert estimate == pytest.approx(model["compound_degradation_s_per_lap"][compound], rel=0.15)
    residual: dict[str, list[float]] = defaultdict(list)
    for pairs in residual_by_race.values():  # relative to each race's median: circuits differ in lap time
        middle = float(np.median([value for _, value in pairs]))
        for name, value in pairs:
            residual[name].append(value - middle)
    pace = {d["full_name"]: d["total_pace_s"] for d in truth["drivers"]}
    measured = [n for n in residual if len(residual[n]) > 30]
    true_rank = np.argsort(np.argsort([pace[n] for n in measured]))
    seen_rank = np.argsort(np.argsort([np.median(residual[n]) for n in measured]))
    spearman = np.corrcoef(true_rank, seen_rank)[0, 1]
    assert spearman >= 0.9


def test_cancelled_round(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    simulate(2025, 2, 3, out, telemetry="none", cancelled_round=2)
    meetings = records(out, "meetings")
    cancelled = {m["meeting_key"] for m in meetings if m["is_cancelled"]}
    assert len(cancelled) == 1
    sessions = records(out, "sessions")
    keys = {s["session_key"] for s in sessions if s["meeting_key"] in cancelled}
    assert keys and all(s["is_cancelled"] for s in sessions if s["meeting_key"] in cancelled)
    for endpoint in ("laps", "drivers", "session_result", "weather"):
        assert not {r["session_key"] for r in records(out, endpoint)} & keys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openf1_replay.simulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--season", "2022", "--rounds", "2"], id="season-before-2023"),
        pytest.param(["--season", "2025", "--rounds", "0"], id="no-rounds"),
        pytest.param(["--season", "2025", "--rounds", "25"], id="too-many-rounds"),
        pytest.param(["--season", "2025", "--rounds", "2", "--telemetry", "some"], id="bad-telemetry"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(*args, "--out", str(tmp_path / "snap"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "error" in result.stderr
    assert not (tmp_path / "snap").exists()


def test_out_must_be_new_or_an_earlier_output(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = run_cli("--season", "2025", "--rounds", "1", "--telemetry", "none", "--out", str(foreign))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert (foreign / "notes.txt").read_text() == "mine"
    again = tmp_path / "again"
    first = run_cli("--season", "2025", "--rounds", "1", "--telemetry", "none", "--out", str(again))
    assert first.returncode == 0, first.stderr
    assert "round 1/1" in first.stderr and "laps=" in first.stdout
    second = run_cli("--season", "2025", "--rounds", "1", "--seed", "2", "--telemetry", "none", "--out", str(again))
    assert second.returncode == 0, second.stderr
    with pytest.raises(SimulatorError):
        simulate(2025, 1, 0, again, telemetry="none", truth_path=again / "inside.truth.json")
