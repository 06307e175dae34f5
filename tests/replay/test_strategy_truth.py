"""The simulator's strategy truth: race time of a strategy under the truth model, the truly best strategy, the
strategy string, and the truth file's pit-loss and strategy figures.

Fast, no warehouse: small hand-made truth files, and one simulated round (no telemetry, a few seconds). The
expected race times are worked out by hand in the tests; the best strategy is checked against brute force.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest

from openf1_replay.simulator import simulate
from openf1_replay.simulator.model import DRY_COMPOUNDS, build_model
from openf1_replay.simulator.people import Paddock
from openf1_replay.simulator.race import _Engine
from openf1_replay.simulator.race_plan import RacePlan, Strategy
from openf1_replay.simulator.rng import stream
from openf1_replay.simulator.strategy_truth import (
    Stint,
    StrategyError,
    best_strategy,
    best_strategy_by_stops,
    check_search_space,
    format_strategy,
    parse_strategy,
    race_time_s,
)
from openf1_replay.simulator.track import STOP_NOMINAL_S, build_track

SEED = 7


@pytest.fixture(scope="module")
def one_round(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 1 of the sample's season (seed 7): the neutralised round, with a safety car and a VSC."""
    out = tmp_path_factory.mktemp("sim") / "one"
    simulate(2025, 1, SEED, out, telemetry="none")
    return json.loads(out.with_name("one.truth.json").read_text())


def small_truth(laps: int = 10, **model: Any) -> dict[str, Any]:
    """A truth file cut down to what a race time needs, with round numbers easy to add up by hand.

    Driver ALIBAB01 drives for Red in round 1 and for Blue in round 2 (a seat change between rounds)."""
    parameters = {
        "fuel_effect_s_per_lap": 0.05,
        "compound_offset_s": {"SOFT": 0.0, "MEDIUM": 0.5, "HARD": 0.8, "INTERMEDIATE": 4.0, "WET": 6.0},
        "compound_degradation_s_per_lap": {
            "SOFT": 0.1,
            "MEDIUM": 0.05,
            "HARD": 0.02,
            "INTERMEDIATE": 0.05,
            "WET": 0.03,
        },
        "standing_start_s": 3.0,
        "grid_slot_s": 0.12,
    } | model
    return {
        "model": parameters,
        "teams": [{"team_name": "Red", "car_pace_s": 0.1}, {"team_name": "Blue", "car_pace_s": -0.4}],
        "drivers": [
            {
                "driver_id": "ALIBAB01",
                "driver_pace_s": 0.2,
                "rounds": [
                    {"round": 1, "team_name": "Red", "driver_number": 7},
                    {"round": 2, "team_name": "Blue", "driver_number": 7},
                ],
            }
        ],
        "rounds": [
            {"round": 1, "is_cancelled": False, "race_laps": laps, "base_lap_time_s": 90.0, "pit_loss_s": 20.0},
            {"round": 2, "is_cancelled": False, "race_laps": laps, "base_lap_time_s": 90.0, "pit_loss_s": 20.0},
            {"round": 3, "is_cancelled": True, "race_laps": laps, "base_lap_time_s": 90.0, "pit_loss_s": 20.0},
        ],
    }


# ---- race time ---------------------------------------------------------------------------------------------


def test_race_time_of_a_one_stop_worked_out_by_hand() -> None:
    truth = small_truth()
    # "S:1-4,H:5-10", 10 laps, ALIBAB01 in the Red car (0.2 + 0.1 = 0.3 s/lap), from pole:
    #   base + pace    10 x 90.3                         = 903.0
    #   fuel           0.05 x (10 + 9 + ... + 1) = 0.05 x 55 =   2.75
    #   SOFT laps 1-4  4 x 0.0 + 0.1 x (0 + 1 + 2 + 3)   =   0.6
    #   HARD laps 5-10 6 x 0.8 + 0.02 x (0 + 1 + ... + 5)  =   5.1
    #   standing start                                   =   3.0
    #   one stop                                         =  20.0
    assert race_time_s(truth, 1, "ALIBAB01", "S:1-4,H:5-10") == pytest.approx(934.45, abs=1e-9)
    assert race_time_s(truth, 1, "ALIBAB01", "S:1-4,H:5-10", grid=3) == pytest.approx(934.45 + 2 * 0.12, abs=1e-9)
    # round 2: the Blue car (0.2 - 0.4 = -0.2 s/lap): 10 x 0.5 s/lap faster
    assert race_time_s(truth, 2, "ALIBAB01", "S:1-4,H:5-10") == pytest.approx(934.45 - 5.0, abs=1e-9)
    # no driver: total pace 0
    assert race_time_s(truth, 1, None, "S:1-4,H:5-10") == pytest.approx(934.45 - 3.0, abs=1e-9)
    # stints given as objects answer the same
    stints = (Stint("SOFT", 1, 4), Stint("HARD", 5, 10))
    assert race_time_s(truth, 1, "ALIBAB01", stints) == race_time_s(truth, 1, "ALIBAB01", "S:1-4,H:5-10")


def test_race_time_answers_bad_rounds_and_drivers_in_one_line() -> None:
    truth = small_truth()
    for round_number, driver, strategy, words in [
        (9, None, "S:1-4,H:5-10", "round 9 is not in the truth file"),
        (3, None, "S:1-4,H:5-10", "round 3 was cancelled"),
        (1, "NOBODY01", "S:1-4,H:5-10", "driver 'NOBODY01' is not in the truth file"),
        (1, None, "S:1-4,H:5-9", "ends on lap 9 but the race is 10 laps"),
    ]:
        with pytest.raises(StrategyError) as error:
            race_time_s(truth, round_number, driver, strategy)
        assert words in str(error.value) and "\n" not in str(error.value)


def test_race_time_is_what_the_simulators_engine_drives_without_noise(one_round: dict[str, Any]) -> None:
    """The engine itself (race.py), noise off, nominal stops, no neutralisation, runs a few strategies: each
    car's race time equals race_time_s with its own pace and grid slot (up to the truth file's rounding)."""
    truth = one_round
    round_ = truth["rounds"][0]
    model = build_model(stream(SEED, "model"))
    track = build_track(stream(SEED, "track", round_["circuit_key"]), round_["length_km"])
    grid = Paddock(stream(SEED, "people"), 1).lineup(1)[:4]
    laps = round_["race_laps"]
    texts = [f"M:1-20,H:21-{laps}", f"S:1-12,M:13-30,H:31-{laps}", f"H:1-40,S:41-{laps}", f"S:1-9,S:10-25,M:26-{laps}"]
    plans = [parse_strategy(text, laps) for text in texts]
    strategies = [Strategy([s.compound for s in p], [s.last_lap for s in p], [0] * len(p)) for p in plans]
    engine = _Engine(track, model, grid, RacePlan(strategies, []), laps, np.random.default_rng(0))
    engine.noise[:] = 0.0
    engine.lap1[:] = 0.0
    engine.lane_noise[:] = 0.0
    engine.stop[:] = STOP_NOMINAL_S
    run = engine.run(strategies, [])
    for car, (entry, text) in enumerate(zip(grid, texts, strict=True)):
        driven = run.lap_ms[car].sum() / 1000
        expected = race_time_s(truth, 1, entry.driver.driver_id, text, grid=car + 1)
        # laps are whole milliseconds (0.5 ms a lap at most) and the truth's base lap and pit loss are rounded
        assert driven == pytest.approx(expected, abs=0.001 * laps + 0.002 * len(plans[car])), text


# ---- the best strategy -------------------------------------------------------------------------------------


def brute_force(truth: dict[str, Any], laps: int, min_stint: int, max_stops: int) -> tuple[str, float]:
    """Every strategy of the search space, timed by race_time_s; the documented tie-break on equal times."""
    candidates = []
    for stops in range(1, max_stops + 1):
        for pit_laps in itertools.combinations(range(1, laps), stops):
            ends = (*pit_laps, laps)
            firsts = (1, *(lap + 1 for lap in pit_laps))
            if any(end - first + 1 < min_stint for first, end in zip(firsts, ends, strict=True)):
                continue
            for compounds in itertools.product(DRY_COMPOUNDS, repeat=stops + 1):
                if len(set(compounds)) < 2:
                    continue
                stints = tuple(Stint(c, f, e) for c, f, e in zip(compounds, firsts, ends, strict=True))
                time = race_time_s(truth, 1, None, stints)
                rank = tuple(DRY_COMPOUNDS.index(c) for c in compounds)
                candidates.append((round(time * 1_000_000), stops, pit_laps, rank, format_strategy(stints), time))
    best = min(candidates)
    return best[4], best[5]


@pytest.mark.parametrize(
    ("offsets", "wear", "pit_loss_s"),
    [
        ((0.0, 0.5, 0.8), (0.1, 0.05, 0.02), 20.0),  # soft fast but wearing
        ((0.0, 0.5, 0.8), (0.6, 0.3, 0.05), 2.0),  # heavy wear, cheap stops: more stops
        ((0.0, 0.0, 0.0), (0.1, 0.1, 0.1), 0.0),  # every compound alike: ties between orders
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0),  # no wear, free stops: every strategy ties, stop counts too
    ],
    ids=["default", "high-wear", "compounds-alike", "all-ties"],
)
def test_best_strategy_is_brute_force_over_a_small_race(
    offsets: tuple[float, ...], wear: tuple[float, ...], pit_loss_s: float
) -> None:
    truth = small_truth(
        laps=15,
        compound_offset_s=dict(zip(DRY_COMPOUNDS, offsets, strict=True)),
        compound_degradation_s_per_lap=dict(zip(DRY_COMPOUNDS, wear, strict=True)),
    )
    truth["rounds"][0]["pit_loss_s"] = pit_loss_s
    expected = brute_force(truth, 15, 3, 3)
    found = best_strategy(truth, 1, min_stint_laps=3, max_stops=3)
    assert found[0] == expected[0]
    assert found[1] == pytest.approx(expected[1], abs=1e-9)
    assert found[1] == pytest.approx(race_time_s(truth, 1, None, found[0]), abs=1e-9)


def test_best_strategy_by_stops_is_brute_force_per_stop_count() -> None:
    truth = small_truth(laps=15, compound_degradation_s_per_lap={"SOFT": 0.5, "MEDIUM": 0.2, "HARD": 0.08})
    by_stops = best_strategy_by_stops(truth, 1, min_stint_laps=3, max_stops=3)
    assert sorted(by_stops) == [1, 2, 3]
    for stops, (text, time) in by_stops.items():
        stints = parse_strategy(text, 15)
        assert len(stints) == stops + 1
        # no strategy with this many stops is faster
        assert time == pytest.approx(brute_force_exact_stops(truth, 15, 3, stops), abs=1e-9)


def brute_force_exact_stops(truth: dict[str, Any], laps: int, min_stint: int, stops: int) -> float:
    times = []
    for pit_laps in itertools.combinations(range(1, laps), stops):
        ends, firsts = (*pit_laps, laps), (1, *(lap + 1 for lap in pit_laps))
        if all(end - first + 1 >= min_stint for first, end in zip(firsts, ends, strict=True)):
            for compounds in itertools.product(DRY_COMPOUNDS, repeat=stops + 1):
                if len(set(compounds)) >= 2:
                    stints = tuple(Stint(c, f, e) for c, f, e in zip(compounds, firsts, ends, strict=True))
                    times.append(race_time_s(truth, 1, None, stints))
    return min(times)


def test_the_two_compound_rule_binds() -> None:
    """Soft is so much faster that one compound would win; the best strategy still uses two."""
    truth = small_truth(
        laps=30,
        compound_offset_s={"SOFT": 0.0, "MEDIUM": 3.0, "HARD": 4.0},
        compound_degradation_s_per_lap={"SOFT": 0.01, "MEDIUM": 0.01, "HARD": 0.01},
    )
    text, time = best_strategy(truth, 1)
    stints = parse_strategy(text, 30)
    assert len({s.compound for s in stints}) == 2, text
    assert text == "M:1-5,S:6-30"  # the shortest stint allowed on the slower compound, one stop, pitting early
    assert race_time_s(truth, 1, None, "S:1-15,S:16-30") < time  # one compound would be faster: the rule binds
    with pytest.raises(StrategyError, match="uses one compound: a dry race needs at least two distinct ones"):
        check_search_space(parse_strategy("S:1-15,S:16-30"), 30)


def test_best_strategy_ties_are_broken_as_documented() -> None:
    """Every permutation of the best stints costs the same: fewer stops, earlier pit laps, then S < M < H."""
    truth = small_truth(laps=20)
    truth["model"]["compound_offset_s"] |= {"MEDIUM": 0.0, "HARD": 0.0}
    truth["model"]["compound_degradation_s_per_lap"] |= {"MEDIUM": 0.1, "HARD": 0.1}
    text, _ = best_strategy(truth, 1, min_stint_laps=5)
    assert text == "S:1-10,M:11-20"  # H:1-10,S:11-20 etc. cost the same
    assert best_strategy(truth, 1, min_stint_laps=5) == (text, _)  # and again: deterministic


def test_best_strategy_respects_the_search_space_arguments() -> None:
    truth = small_truth(laps=40, compound_degradation_s_per_lap={"SOFT": 0.9, "MEDIUM": 0.9, "HARD": 0.9})
    truth["rounds"][0]["pit_loss_s"] = 0.5  # stopping is nearly free and wear is high: as many stops as allowed
    for max_stops in (1, 2, 3):
        text, _ = best_strategy(truth, 1, min_stint_laps=8, max_stops=max_stops)
        stints = parse_strategy(text, 40)
        assert len(stints) - 1 == max_stops, text
        check_search_space(stints, 40, min_stint_laps=8, max_stops=max_stops)
    # a race exactly two minimum stints long has one strategy shape
    assert best_strategy(small_truth(laps=16), 1, min_stint_laps=8)[0] == "S:1-8,M:9-16"
    with pytest.raises(StrategyError, match="cannot hold two stints of 25\\+ laps"):
        best_strategy(truth, 1, min_stint_laps=25)


def test_best_strategy_on_the_simulated_round_is_in_the_search_space(one_round: dict[str, Any]) -> None:
    truth = one_round
    laps = truth["rounds"][0]["race_laps"]
    text, time = best_strategy(truth, 1)
    check_search_space(parse_strategy(text, laps), laps)
    # the best is no slower than each car's driven strategy replayed on new tyres, when that is in the space
    race = next(s for s in truth["rounds"][0]["sessions"] if s["session_name"] == "Race")
    for car in race["strategies"].values():
        stints = parse_strategy(car["strategy"])
        try:
            check_search_space(stints, laps)
        except StrategyError:
            continue
        assert time <= race_time_s(truth, 1, None, stints) + 1e-9, car["strategy"]


# ---- the strategy string -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["M:1-18,H:19-57", "S:1-57", "S:1-5,M:6-20,H:21-40,S:41-57", "I:1-3,W:4-10"])
def test_strategy_string_round_trips(text: str) -> None:
    assert format_strategy(parse_strategy(text)) == text
    assert parse_strategy(text) == parse_strategy(format_strategy(parse_strategy(text)))


def test_strategy_string_is_forgiving_about_case_and_spaces() -> None:
    assert parse_strategy(" m:1-18, h:19-57 ") == (Stint("MEDIUM", 1, 18), Stint("HARD", 19, 57))


@pytest.mark.parametrize(
    ("text", "laps", "words"),
    [
        ("", None, "is empty"),
        ("M1-18,H:19-57", None, "stint 'M1-18' is not compound:first-last"),
        ("X:1-18,H:19-57", None, "unknown compound 'X'"),
        ("M:2-18,H:19-57", None, "starts on lap 2 but the first stint must start on lap 1"),
        ("M:1-18,H:20-57", None, "starts on lap 20 but the stint after lap 18 must start on lap 19"),
        ("M:1-18,H:18-57", None, "starts on lap 18 but the stint after lap 18 must start on lap 19"),
        ("M:1-18,H:30-19", None, "ends before it starts"),
        ("M:1-18,H:19-56", 57, "ends on lap 56 but the race is 57 laps: end the last stint on lap 57"),
    ],
)
def test_strategy_string_errors_are_one_line(text: str, laps: int | None, words: str) -> None:
    with pytest.raises(StrategyError) as error:
        parse_strategy(text, laps)
    message = str(error.value)
    assert words in message and "\n" not in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("M:1-57", "has 0 stops: give 1 to 3"),
        ("S:1-10,M:11-20,H:21-30,S:31-40,M:41-57", "has 4 stops: give 1 to 3"),
        ("M:1-4,H:5-57", "is 4 laps, under the 5-lap minimum"),
        ("M:1-30,I:31-57", "uses INTERMEDIATE: the dry search space has S, M and H only"),
    ],
)
def test_search_space_errors_are_one_line(text: str, words: str) -> None:
    with pytest.raises(StrategyError) as error:
        check_search_space(parse_strategy(text), 57)
    assert words in str(error.value) and "\n" not in str(error.value)


# ---- the truth file's pit-loss and strategy figures -----------------------------------------------------


def nominal_loss(parts: dict[str, float], in_factor: float, out_factor: float) -> float:
    return (
        parts["pit_in_lane_s"]
        + parts["stop_nominal_s"]
        + parts["pit_out_lane_s"]
        + parts["out_lap_cold_tyres_s"]
        - in_factor * parts["pit_in_racing_s"]
        - out_factor * parts["pit_out_racing_s"]
    )


def test_pit_loss_by_track_status(one_round: dict[str, Any]) -> None:
    round_, model = one_round["rounds"][0], one_round["model"]
    by_status, parts = round_["pit_loss_by_track_status_s"], round_["pit_loss_parts_s"]
    assert by_status["green"] == round_["pit_loss_s"]
    assert by_status["sc"] < by_status["vsc"] < by_status["green"]
    for status, factor in (("green", 1.0), ("vsc", model["vsc_lap_factor"]), ("sc", model["sc_lap_factor"])):
        assert by_status[status] == pytest.approx(nominal_loss(parts, factor, factor), abs=0.003), status
    # the lane and the stop are the nominal pit-lane time
    lane = parts["pit_in_lane_s"] + parts["stop_nominal_s"] + parts["pit_out_lane_s"]
    assert lane == pytest.approx(round_["pit_lane_duration_s"], abs=0.003)


def test_pit_stops_carry_the_status_and_loss_the_engine_charged(one_round: dict[str, Any]) -> None:
    round_, model = one_round["rounds"][0], one_round["model"]
    race = next(s for s in round_["sessions"] if s["session_name"] == "Race")
    status_of = {}
    for period in race["neutralisations"]:
        for lap in range(period["start_lap"], period["end_lap"] + 1):
            status_of[lap] = period["kind"].lower()
    full = {"green": 1.0, "vsc": model["vsc_lap_factor"], "sc": model["sc_lap_factor"]}
    seen = set()
    for stop in race["pit_stops"]:
        in_lap = stop["in_lap"]
        assert stop["track_status"] == status_of.get(in_lap, "green")
        assert stop["out_lap_status"] == status_of.get(in_lap + 1, "green")
        deploy = {p["start_lap"] for p in race["neutralisations"]}  # a deployment lap is slowed by half
        for lap, status, key in (
            (in_lap, stop["track_status"], "in_lap_factor"),
            (in_lap + 1, stop["out_lap_status"], "out_lap_factor"),
        ):
            assert stop[key] == pytest.approx(1 + (full[status] - 1) / 2 if lap in deploy else full[status]), stop
        # the engine's loss: this stop's own lane time (its stop and lane noise in it) at these laps' factors
        parts = round_["pit_loss_parts_s"]
        replaced = stop["in_lap_factor"] * parts["pit_in_racing_s"] + stop["out_lap_factor"] * parts["pit_out_racing_s"]
        assert stop["pit_loss_s"] == pytest.approx(stop["lane_s"] - replaced + parts["out_lap_cold_tyres_s"], abs=0.01)
        # and the nominal loss at these factors but for the stop's own time and the lane noise (sd 0.3 s)
        nominal = nominal_loss(parts, stop["in_lap_factor"], stop["out_lap_factor"])
        assert abs(stop["pit_loss_s"] - (nominal + stop["stop_s"] - parts["stop_nominal_s"])) < 1.5, stop
        seen.add(stop["track_status"])
    assert seen == {"green", "sc", "vsc"}  # the neutralised round has stops under each status
    # every stop is in a car's driven strategy, and the other way round
    stops = sorted((s["driver_number"], s["in_lap"]) for s in race["pit_stops"])
    driven = sorted((int(number), lap) for number, car in race["strategies"].items() for lap in car["in_laps"])
    assert stops == driven


def test_driven_strategies_match_the_stints(one_round: dict[str, Any]) -> None:
    race = next(s for s in one_round["rounds"][0]["sessions"] if s["session_name"] == "Race")
    assert set(race["strategies"]) == {number for number, stints in race["stints"].items() if stints}
    for number, car in race["strategies"].items():
        stints = parse_strategy(car["strategy"])
        assert [[s.compound, s.first_lap, s.last_lap] for s in stints] == [x[:3] for x in race["stints"][number]]
        assert car["compounds"] == [s.compound for s in stints]
        assert car["in_laps"] == [s.last_lap for s in stints[:-1]]
        assert car["tyre_ages_at_start"] == [x[3] for x in race["stints"][number]]
        assert stints[-1].last_lap == car["laps_completed"]
        retired = {r["driver_number"] for r in race["retirements"]}
        assert car["finished"] == (int(number) not in retired)  # a lapped finisher completes fewer laps
