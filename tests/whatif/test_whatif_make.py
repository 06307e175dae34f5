"""make whatif end to end on the published sample (slow: it needs the sample built and published).

The model's time for the asked strategy is checked against SQL over the marts written here, independently of
whatif/query.py; the implied race time and position against the real results.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, run_group

pytestmark = pytest.mark.slow

# a parent make's flags and the project's variables in the caller's environment would change what make runs
INHERITED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "WAREHOUSE", "SESSION", "DRIVER", "STRATEGY", "OPENF1_PUBLISHED"}
CLOCK = re.compile(r"(-?)(\d+):(\d\d):(\d\d\.\d\d\d)")


def whatif(warehouse: str, **variables: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in INHERITED}
    given = [f"{name}={value}" for name, value in variables.items()]
    return run_group(["make", "whatif", f"WAREHOUSE={warehouse}", *given], timeout=120, env=clean)


def error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line the what-if says on failure (make's own 'Error 1' line aside)."""
    assert done.returncode != 0 and not done.stdout, done.stdout[-2000:]
    lines = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def seconds(text: str) -> float:
    sign, hours, minutes, rest = CLOCK.search(text).groups()
    value = int(hours) * 3600 + int(minutes) * 60 + float(rest)
    return -value if sign else value


def row(output: str, label: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith(f"  {label}  ")]
    return line


@pytest.fixture(scope="module")
def sample(published_sample: tuple[Path, Path, Path]) -> Iterator[tuple[str, duckdb.DuckDBPyConnection]]:
    """The sample's WAREHOUSE= value and a read-only connection to its published copy."""
    published, _, _ = published_sample
    warehouse = str((published.parent.parent / published.name).relative_to(ROOT))
    connection = duckdb.connect(str(published), read_only=True)
    yield warehouse, connection
    connection.close()


def ranked_position(connection: duckdb.DuckDBPyConnection, session_key: int, driver: int, time_s: float) -> int:
    """1 + the other lead-lap finishers with a real race time under time_s."""
    return (
        1
        + connection.execute(
            "select count(*) from marts.fct_session_results where session_key = ? and driver_number != ?"
            " and classified_position is not null and laps_behind = 0 and duration_s < ?",
            [session_key, driver, time_s],
        ).fetchone()[0]
    )


def test_the_driven_strategy_implies_the_real_race_time_and_position(sample) -> None:
    warehouse, connection = sample
    # a driver the model prices whose stints all began on new tyres and whose stops had the status of their lap:
    # the what-if prices his driven strategy exactly as the backtest does
    session_key, driver, driven, real_s, position = connection.execute(
        "select b.session_key, b.driver_number, b.driven_strategy, b.actual_race_time_s, b.classified_position"
        " from marts.strategy_race_backtests as b where b.is_backtested and b.stops >= 1"
        " and not exists (select 1 from marts.fct_stints as s where s.session_key = b.session_key"
        "   and s.driver_number = b.driver_number and s.tyre_age_at_start_laps > 0)"
        " and not exists (select 1 from marts.fct_pit_stops as p inner join marts.strategy_race_laps as l"
        "   on p.session_key = l.session_key and p.lap_number = l.lap_number"
        "   where p.session_key = b.session_key and p.driver_number = b.driver_number"
        "   and p.session_kind = 'race' and p.stop_kind = 'race_stop' and p.track_status_at_stop != l.track_status)"
        " order by b.session_key, b.classified_position limit 1"
    ).fetchone()
    assert ranked_position(connection, session_key, driver, real_s) == position  # the sample is consistent
    done = whatif(warehouse, SESSION=str(session_key), DRIVER=str(driver), STRATEGY=driven)
    assert done.returncode == 0, done.stderr
    assert row(done.stdout, "asked - driven").split()[-2:] == ["±0.000", "s"], done.stdout
    really, implied = row(done.stdout, "really"), row(done.stdout, "what-if")
    assert seconds(implied) == pytest.approx(real_s, abs=0.0015) and seconds(really) == pytest.approx(
        real_s, abs=0.0015
    )
    assert f" P{position} " in implied and f" P{position} " in really, done.stdout
    assert f"driving {driven}" in really and "note:" not in done.stdout


def one_more_stop(driven: str) -> str:
    """The driven strategy with its longest stint split in two halves of the same compound."""
    stints = [re.match(r"(\w):(\d+)-(\d+)", part).groups() for part in driven.split(",")]
    longest = max(range(len(stints)), key=lambda index: int(stints[index][2]) - int(stints[index][1]))
    letter, first, last = stints[longest]
    middle = (int(first) + int(last)) // 2
    stints[longest : longest + 1] = [(letter, first, str(middle)), (letter, str(middle + 1), last)]
    return ",".join(f"{letter}:{first}-{last}" for letter, first, last in stints)


def test_a_strategy_with_one_more_stop_is_priced_as_the_marts_say(sample) -> None:
    warehouse, connection = sample
    session_key, driver, driven, real_s, model_driven_s, free_s = connection.execute(
        "select session_key, driver_number, driven_strategy, actual_race_time_s, model_race_time_s,"
        " strategy_free_time_s from marts.strategy_race_backtests where is_backtested and stops = 1"
        " order by session_key desc, classified_position limit 1"
    ).fetchone()
    asked = one_more_stop(driven)
    assert asked.count(",") == driven.count(",") + 1
    stints = [(f"{'SMH'.index(part[0])}", *map(int, part[2:].split("-"))) for part in asked.split(",")]
    compounds = {"0": "SOFT", "1": "MEDIUM", "2": "HARD"}
    tyre_s = sum(
        connection.execute(
            "select tyre_cost_s from marts.strategy_stint_costs where session_key = ? and planning_mode = 'hindsight'"
            " and compound = ? and first_lap_number = ? and last_lap_number = ?",
            [session_key, compounds[compound], first, last],
        ).fetchone()[0]
        for compound, first, last in stints
    )
    pit_s = sum(
        connection.execute(
            "select pit_loss_s from marts.strategy_race_laps where session_key = ? and lap_number = ?",
            [session_key, last],
        ).fetchone()[0]
        for _, _, last in stints[:-1]
    )
    expected_s = free_s + tyre_s + pit_s
    implied_s = real_s + expected_s - model_driven_s
    done = whatif(warehouse, SESSION=str(session_key), DRIVER=str(driver), STRATEGY=asked)
    assert done.returncode == 0, done.stderr
    assert seconds(row(done.stdout, "asked")) == pytest.approx(expected_s, abs=0.0015), done.stdout
    assert seconds(row(done.stdout, "driven")) == pytest.approx(model_driven_s, abs=0.0015)
    implied = row(done.stdout, "what-if")
    assert seconds(implied) == pytest.approx(implied_s, abs=0.0015), done.stdout
    assert f" P{ranked_position(connection, session_key, driver, implied_s)} " in implied, done.stdout
    assert len([line for line in done.stdout.splitlines() if line.startswith("  stop after lap")]) == 2


def test_latest_is_the_latest_race(sample) -> None:
    warehouse, connection = sample
    session_key, laps = connection.execute(
        "select s.session_key, max(l.lap_number) from marts.dim_sessions as s inner join marts.strategy_race_laps as l"
        " on s.session_key = l.session_key where s.session_kind = 'race'"
        " group by s.session_key, s.started_at order by s.started_at desc limit 1"
    ).fetchone()
    driver, driven = connection.execute(
        "select driver_number, driven_strategy from marts.strategy_race_backtests where session_key = ?"
        " and is_backtested order by classified_position limit 1",
        [session_key],
    ).fetchone()
    done = whatif(warehouse, SESSION="latest", DRIVER=str(driver), STRATEGY=driven)
    assert done.returncode == 0, done.stderr
    assert f"session {session_key}, {laps} laps" in done.stdout.splitlines()[0]
    # the key and the three-letter code name the same car
    code = connection.execute(
        "select driver_code from marts.fct_session_results where session_key = ? and driver_number = ?",
        [session_key, driver],
    ).fetchone()[0]
    by_code = whatif(warehouse, SESSION=str(session_key), DRIVER=code.lower(), STRATEGY=driven)
    assert by_code.returncode == 0 and by_code.stdout == done.stdout, by_code.stderr


def test_each_refusal_is_one_line_naming_the_cause_and_the_fix(sample) -> None:
    warehouse, connection = sample
    race, laps = connection.execute(
        "select session_key, max(lap_number) from marts.strategy_race_laps group by session_key order by 1 limit 1"
    ).fetchone()
    qualifying = connection.execute(
        "select q.session_key from marts.dim_sessions as q inner join marts.dim_sessions as r"
        " on q.meeting_key = r.meeting_key where r.session_key = ? and q.session_kind = 'qualifying'",
        [race],
    ).fetchone()[0]
    driver, driven = connection.execute(
        "select driver_number, driven_strategy from marts.strategy_race_backtests where session_key = ?"
        " and is_backtested order by classified_position limit 1",
        [race],
    ).fetchone()
    unpriced = connection.execute(
        "select session_key, driver_number, not_backtested_reason from marts.strategy_race_backtests"
        " where not is_backtested order by session_key, driver_number limit 1"
    ).fetchone()
    dnf = connection.execute(
        "select session_key, driver_number from marts.fct_session_results where session_kind = 'race'"
        " and classified_position is null order by session_key, driver_number limit 1"
    ).fetchone()
    numbers = ", ".join(
        str(number)
        for (number,) in connection.execute(
            "select driver_number from marts.fct_session_results where session_key = ? order by 1", [race]
        ).fetchall()
    )
    short = f"M:1-20,H:21-{laps - 1}"
    cases = [
        ({"SESSION": "999999"}, "error: unknown session 999999: latest races: ", "make query SQL="),
        ({"SESSION": "abc"}, "error: SESSION=abc is not a session_key: give a number or latest", "make query"),
        ({"SESSION": ""}, "error: no race: give SESSION=<session_key> or SESSION=latest", "make query"),
        (
            {"SESSION": str(qualifying)},
            f"error: session {qualifying} is a Qualifying",
            f"not a Grand Prix: the Grand Prix of that weekend is SESSION={race}",
        ),
        ({"DRIVER": "999"}, "error: no car 999 in the ", f"give DRIVER= one of {numbers}"),
        (
            {"SESSION": str(unpriced[0]), "DRIVER": str(unpriced[1])},
            f"error: the model cannot price car {unpriced[1]} ",
            f": {unpriced[2]} (marts.strategy_race_backtests.not_backtested_reason); pick another ",
        ),
        ({"SESSION": str(dnf[0]), "DRIVER": str(dnf[1])}, f"error: car {dnf[1]} ", "was not classified"),
        (
            {"STRATEGY": short},
            f"error: the strategy ends on lap {laps - 1} but the ",
            f"ran {laps} laps: end the last stint on lap {laps}",
        ),
        ({"STRATEGY": f"M:1-20,H:22-{laps}"}, 'error: stint "H:22-', 'leaves a gap after "M:1-20": start it on lap 21'),
        (
            {"STRATEGY": f"M:2-20,H:21-{laps}"},
            'error: the first stint "M:2-20" starts on lap 2',
            "the race starts on lap 1",
        ),
        ({"STRATEGY": f"Q:1-20,H:21-{laps}"}, 'error: stint "Q:1-20": unknown compound letter Q', "use S (soft)"),
        ({"STRATEGY": ""}, "error: no strategy: give STRATEGY=", "M:1-18,H:19-57"),
    ]
    for given, starts, says in cases:
        variables = {"SESSION": str(race), "DRIVER": str(driver), "STRATEGY": driven} | given
        line = error_line(whatif(warehouse, **variables))
        assert line.startswith(starts) and says in line, (given, line)
    nothing = "warehouse/test/whatif-none.duckdb"
    line = error_line(whatif(nothing, SESSION=str(race), DRIVER=str(driver), STRATEGY=driven))
    assert line == (
        "error: no published copy at warehouse/test/published/whatif-none.duckdb yet:"
        f" run make build WAREHOUSE={nothing} (or make publish after a passing make transform)"
    )


def test_a_compound_the_model_does_not_cover_in_that_race_is_refused(sample, tmp_path: Path) -> None:
    _, connection = sample
    race, driver, driven = connection.execute(
        "select session_key, driver_number, driven_strategy from marts.strategy_race_backtests"
        " where is_backtested and driven_strategy like '%H:%' order by session_key, classified_position limit 1"
    ).fetchone()
    published = (
        ROOT
        / connection.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[
            0
        ]
    )
    copy = tmp_path / "published.duckdb"
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as doctored:  # a race whose tyre model has no HARD
        doctored.execute("delete from marts.strategy_stint_costs where session_key = ? and compound = 'HARD'", [race])
    done = run_group(
        [
            sys.executable,
            "-m",
            "whatif",
            "--database",
            str(copy),
            "--session",
            str(race),
            "--driver",
            str(driver),
            "--strategy",
            driven,
        ]
    )
    line = error_line(done)
    assert re.fullmatch(
        r'error: stint "H:\d+-\d+": the tyre model has no HARD for .* \(it covers: MEDIUM, SOFT\): use one of those',
        line,
    ), line
