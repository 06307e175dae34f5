"""The strategy string and the what-if's arithmetic, without a warehouse (fast)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from whatif.__main__ import main
from whatif.printout import clock, render, signed
from whatif.query import Car, Race, StintPrice, StopPrice, WhatIf
from whatif.strategy import Stint, StrategyError, check_race, notes, parse, pit_laps, strategy_text


def test_a_strategy_parses_into_contiguous_stints_and_prints_back() -> None:
    stints = parse("m:1-18, H:19-57")
    assert stints == [Stint("MEDIUM", 1, 18), Stint("HARD", 19, 57)]
    assert strategy_text(stints) == "M:1-18,H:19-57"
    assert pit_laps(stints) == [18]
    assert [stint.laps for stint in stints] == [18, 39]
    assert parse("S:1-10,M:11-30,S:31-40,H:41-57")[-1] == Stint("HARD", 41, 57)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, 'no strategy: give STRATEGY="M:1-18,H:19-57"'),
        ("  ", "no strategy"),
        ("M:1-18,,H:19-57", "empty stint between commas"),
        ("M1-18,H:19-57", 'stint "M1-18" of STRATEGY="M1-18,H:19-57" is not compound:first-last'),
        ("M:1-18,H:19", 'stint "H:19" of STRATEGY="M:1-18,H:19" is not compound:first-last'),
        ("X:1-18,H:19-57", 'stint "X:1-18": unknown compound letter X: use S (soft), M (medium) or H (hard)'),
        ("MEDIUM:1-18,H:19-57", "unknown compound letter MEDIUM"),
        ("I:1-18,H:19-57", "INTERMEDIATE is not priced"),
        ("M:2-18,H:19-57", 'the first stint "M:2-18" starts on lap 2: the race starts on lap 1'),
        ("M:1-18,H:20-57", 'stint "H:20-57" leaves a gap after "M:1-18": start it on lap 19'),
        ("M:1-18,H:18-57", 'stint "H:18-57" overlaps "M:1-18": start it on lap 19'),
        ("M:1-18,H:30-19", 'stint "H:30-19" ends before it starts'),
    ],
)
def test_a_malformed_strategy_is_one_line_naming_the_fault_and_the_fix(text: str | None, says: str) -> None:
    with pytest.raises(StrategyError) as raised:
        parse(text)
    message = str(raised.value)
    assert says in message and "\n" not in message, message
    assert any(fix in message for fix in (": give", ": use", ": start", ": write", "the race starts")), message


def test_a_strategy_must_end_at_the_race_distance_on_compounds_the_model_covers() -> None:
    stints = parse("M:1-18,H:19-57")
    check_race(stints, 57, {"MEDIUM", "HARD"}, "the race")
    with pytest.raises(StrategyError, match="ends on lap 57 but the race ran 58 laps: end the last stint on lap 58"):
        check_race(stints, 58, {"MEDIUM", "HARD"}, "the race")
    with pytest.raises(StrategyError, match=r'"H:19-57": the tyre model has no HARD .*\(it covers: MEDIUM, SOFT\)'):
        check_race(stints, 57, {"MEDIUM", "SOFT"}, "the race")


def test_a_strategy_outside_the_search_space_is_priced_with_a_note() -> None:
    assert notes(parse("M:1-18,H:19-57"), 5) == []
    assert any("two dry compounds" in note for note in notes(parse("M:1-57"), 5))
    assert any("one compound only" in note for note in notes(parse("M:1-18,M:19-57"), 5))
    assert any("S:1-3 shorter" in note for note in notes(parse("S:1-3,H:4-57"), 5))
    assert any("4 stops" in note for note in notes(parse("S:1-10,M:11-20,S:21-30,M:31-40,H:41-57"), 5))


def car(
    number: int,
    code: str,
    position: int | None,
    time_s: float | None,
    laps_behind: int | None = 0,
    plausible: bool = True,
) -> Car:
    return Car(number, code, code.title(), "Team", position, laps_behind, time_s, "finished", plausible)


def example(difference_s: float) -> WhatIf:
    """A race of 20 laps: car 2 really second in 3000 s; the asked strategy costs difference_s more than driven."""
    field = [
        car(1, "AAA", 1, 2990.0),
        car(2, "BBB", 2, 3000.0),
        car(3, "CCC", 3, 3004.0),
        car(4, "DDD", 4, 3010.0),
        car(5, "EEE", 5, 2995.0, laps_behind=1),  # lapped (whatever time a source gives it): stays behind
        car(6, "FFF", None, None, laps_behind=None),  # retired
        car(7, "GGG", 6, 5.2, plausible=False),  # a gap where the race time belongs (the backtest says so): not ranked
    ]
    asked = [StintPrice(Stint("MEDIUM", 1, 10), 10, 5.0), StintPrice(Stint("HARD", 11, 20), 10, 6.0)]
    stops = [StopPrice(10, "green", 20.0)]
    driven_strategy_time_s = 31.0 - difference_s
    return WhatIf(
        race=Race(99, 2025, 1, "Sakhir", "Bahrain", 20),
        car=field[1],
        asked=asked,
        stops=stops,
        driven_strategy="S:1-8,H:9-20",
        driven_stops=1,
        strategy_free_time_s=2970.0,
        driven_strategy_time_s=driven_strategy_time_s,
        model_driven_s=2970.0 + driven_strategy_time_s,
        backtest_error_s=2970.0 + driven_strategy_time_s - 3000.0,
        cars=field,
    )


def test_the_implied_time_is_the_real_one_plus_the_models_difference_and_ranks_among_lead_lap_finishers() -> None:
    same = example(0.0)
    assert same.model_asked_s == pytest.approx(3001.0)
    assert same.implied_race_time_s == 3000.0 and same.implied_position == 2
    slower = example(5.0)
    assert slower.difference_s == pytest.approx(5.0)
    assert slower.implied_race_time_s == pytest.approx(3005.0) and slower.implied_position == 3
    assert [neighbour.driver_code for neighbour in slower.neighbours()] == ["CCC", "DDD"]
    # far slower than every lead-lap finisher: last of them, never behind the lapped car
    assert example(60.0).implied_position == 4
    assert example(-20.0).implied_position == 1


def test_the_printout_is_plain_text_off_a_terminal_and_aligned() -> None:
    text = render(example(5.0), ["a note"], colour=False)
    assert "\033[" not in text
    lines = text.splitlines()
    really = next(line for line in lines if line.strip().startswith("really"))
    whatif = next(line for line in lines if line.strip().startswith("what-if"))
    assert "0:50:00.000" in really and "P2" in really
    assert "0:50:05.000" in whatif and "P3" in whatif and "+5.000 s" in whatif
    assert really.index("P2") == whatif.index("P3")
    assert "+10.000 s" in really and "+15.000 s" in whatif and "behind CCC #3 0:50:04.000, ahead of DDD #4" in whatif
    faster = render(example(-20.0), [], colour=False).splitlines()
    assert re.search(r" P1 +winner ", next(line for line in faster if line.strip().startswith("what-if")))
    assert lines[-1] == "note: a note"
    assert "\033[1m" in render(example(5.0), [], colour=True)


def test_times_read_as_a_clock_and_differences_carry_their_sign() -> None:
    assert clock(5432.1234) == "1:30:32.123"
    assert clock(59.9996) == "0:01:00.000"
    assert signed(3.4564) == "+3.456 s" and signed(-0.12) == "-0.120 s" and signed(0.0001) == "±0.000 s"


def test_a_copy_without_the_strategy_marts_or_no_copy_at_all_is_one_line_saying_make_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.dim_sessions (session_key integer)")
    given = ["--session", "1", "--driver", "1", "--strategy", "M:1-18,H:19-57"]
    assert main(["--database", str(old), *given]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"error: the published copy {old} has no marts.dim_meetings (published before the strategy engine?):"
        " run make build to publish a current one"
    )
    assert main(["--database", str(tmp_path / "none.duckdb"), *given]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: no published copy at {tmp_path / 'none.duckdb'} yet: run make build")
    assert main(["--database", str(old), "--session", "1", "--driver", "1", "--strategy", "M:1-18,H:20-57"]) == 2
    assert "leaves a gap" in capsys.readouterr().err
