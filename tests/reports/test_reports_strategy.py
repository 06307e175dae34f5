"""The race page's strategy section: every value it shows is a column of a strategy mart, read back from the HTML.

Slow but the first: renders the published sample (``published_sample``, what ``make reports`` reads) and compares
each table of the section with the marts, queried here independently of ``reports/queries.py``. A race the engine
does not model (wet, red flag: the sample's third round is wet) says so in the engine's words.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports import formatting
from reports.formatting import percent, seconds, signed_seconds
from reports.pages import race_path
from reports.queries import Marts
from reports.render import render
from tests.reports.test_reports import Table, parse, race_sessions, rows

STATUSES = ("green", "vsc", "sc")


def test_a_race_is_not_modelled_only_when_no_driver_is_priced() -> None:
    """Fast: the engine's reasons for a race where it prices no driver, each once and in order; none for a race
    where one driver is priced (the others keep their own reason in the table)."""
    with duckdb.connect(":memory:") as connection:
        connection.execute("create schema marts")
        connection.execute(
            """
            create table marts.strategy_race_backtests as select * from (values
                (1, 7, false, 'not on the lead lap'),
                (1, 8, false, 'no pace fitted'),
                (1, 9, false, 'not on the lead lap'),
                (2, 7, true, null),
                (2, 8, false, 'not on the lead lap')
            ) as t(session_key, driver_number, is_backtested, not_backtested_reason)
            """
        )
        marts = Marts(connection)
        assert marts.strategy_not_modelled(1) == ["no pace fitted", "not on the lead lap"]
        assert marts.strategy_not_modelled(2) == []
        assert marts.strategy_not_modelled(3) == []


def shown_status(value: str | None) -> str:
    return value.upper() if value in ("sc", "vsc") else (value or "?")


@pytest.fixture(scope="module")
def published(published_sample: tuple[Path, Path, Path]) -> Path:
    return published_sample[0]


@pytest.fixture(scope="module")
def site(published_sample: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("strategy-site")
    render(published_sample[0], out, published_sample[2])
    return out


@pytest.fixture(scope="module")
def marts(published: Path) -> Any:
    with duckdb.connect(str(published), read_only=True) as connection:
        yield connection


def grand_prix(marts: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return [session for session in race_sessions(marts) if session["session_kind"] == "race"]


def unmodelled_reasons(marts: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Grand Prix -> the engine's reasons, for the races where it prices no driver (wet, red flag, ...)."""
    found = rows(
        marts,
        "select session_key, string_agg(distinct not_backtested_reason, '; ' order by not_backtested_reason) as reasons"
        " from marts.strategy_race_backtests group by session_key having not bool_or(is_backtested)",
    )
    return {row["session_key"]: row["reasons"] for row in found}


def modelled_grand_prix(marts: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The Grands Prix where the engine prices at least one driver's strategy (strategy_race_backtests)."""
    unmodelled = unmodelled_reasons(marts)
    return [session for session in grand_prix(marts) if session["session_key"] not in unmodelled]


@pytest.mark.slow
def test_driven_vs_optimal_is_strategy_race_backtests(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    races = modelled_grand_prix(marts)
    assert races
    backtested = 0
    for session in races:
        page = parse(site / race_path(session))
        expected = rows(
            marts,
            "select * from marts.strategy_race_backtests where session_key = ?"
            " order by classified_position, driver_number",
            session["session_key"],
        )
        assert expected, f"{race_path(session)}: the sample race has no backtest"
        table = page.tables["strategy-backtests"]
        assert [key for key, _ in table.rows] == [row["driver_code"] for row in expected]
        shown = table.by_key()
        for row in expected:
            cells = shown[row["driver_code"]]
            assert cells["position"] == str(row["classified_position"])
            assert cells["driven"] == (row["driven_strategy"] or "—")
            assert cells["stops"] == (str(row["stops"]) if row["stops"] is not None else "—")
            assert cells["model"] == formatting.race_time(row["model_race_time_s"])
            assert cells["actual"] == formatting.race_time(row["actual_race_time_s"])
            assert cells["error"] == formatting.seconds(row["backtest_error_s"])
            assert cells["error_pct"] == formatting.fixed(row["backtest_error_pct"], 2)
            assert cells["best"] == (row["best_hindsight_strategy"] or "—")
            assert cells["left"] == formatting.seconds(row["time_left_on_table_s"])
            assert cells["note"] == (row["not_backtested_reason"] or "")
            backtested += row["is_backtested"]
    assert backtested > 0  # the sample's dry races are priced, not only listed


@pytest.mark.slow
def test_best_strategies_are_strategy_optimal_strategies(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in modelled_grand_prix(marts):
        path = site / race_path(session)
        options = rows(
            marts,
            "select * from marts.strategy_optimal_strategies where session_key = ? order by planning_mode desc, stops",
            session["session_key"],
        )
        assert options
        table = parse(path).tables["strategy-options"]
        assert [key for key, _ in table.rows] == [f"{row['planning_mode']}-{row['stops']}" for row in options]
        shown = table.by_key()
        for row in options:
            cells = shown[f"{row['planning_mode']}-{row['stops']}"]
            assert cells["mode"] == row["planning_mode"] + (" best" if row["is_best"] else "")
            assert cells["stops"] == str(row["stops"])
            assert cells["strategy"] == row["strategy"]
            assert cells["time"] == formatting.seconds(row["strategy_time_s"])
            assert cells["vs_best"] == formatting.seconds(row["time_vs_best_s"])
        text = html.unescape(path.read_text(encoding="utf-8"))
        line = text[text.index('<p id="strategy-best">') : text.index("</p>", text.index('<p id="strategy-best">'))]
        best = [row for row in options if row["is_best"]]
        assert sorted(row["planning_mode"] for row in best) == ["hindsight", "plan"]
        assert sorted(re.findall(r'data-key="(\w+)"', line)) == ["hindsight", "plan"]  # the best of each mode only
        for row in best:
            stops = f"{row['stops']} stop{'s' if row['stops'] != 1 else ''}"
            pattern = rf'data-key="{row["planning_mode"]}">.*?<code>{re.escape(row["strategy"])}</code>, {stops}</span>'
            assert re.search(pattern, line, re.DOTALL), (race_path(session), row)


@pytest.mark.slow
def test_pit_loss_by_track_status_is_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    for session in race_sessions(marts):  # sprints too: the circuit's and season's losses
        shown = parse(site / race_path(session)).tables["pit-loss"]
        losses = {
            row["track_status"]: row
            for row in rows(
                marts,
                "select losses.track_status, losses.stops, losses.median_pit_loss_s"
                " from marts.pit_loss_by_track_status as losses"
                " inner join marts.dim_sessions as sessions"
                " on losses.circuit_key = sessions.circuit_key and losses.season = sessions.season"
                " where sessions.session_key = ?",
                session["session_key"],
            )
        }
        assert "green" in losses, race_path(session)
        assert [key for key, _ in shown.rows] == list(STATUSES)
        for status, cells in shown.by_key().items():
            assert cells["status"] == shown_status(status)
            row = losses.get(status)
            assert cells["median"] == formatting.seconds(row["median_pit_loss_s"] if row else None)
            assert cells["stops"] == (str(row["stops"]) if row else "no stop")


@pytest.mark.slow
def test_tyre_model_is_strategy_tyre_models(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    order = {"SOFT": 1, "MEDIUM": 2, "HARD": 3}
    for session in race_sessions(marts):
        path = site / race_path(session)
        models = rows(marts, "select * from marts.strategy_tyre_models where session_key = ?", session["session_key"])
        models.sort(key=lambda row: order[row["compound"]])
        page = parse(path)
        if not models:
            assert "tyre-models" not in page.tables
            assert 'id="tyre-model-missing"' in path.read_text(encoding="utf-8")
            continue
        table = page.tables["tyre-models"]
        assert [key for key, _ in table.rows] == [row["compound"] for row in models]
        shown = table.by_key()
        for row in models:
            cells = shown[row["compound"]]
            assert cells["compound"] == row["compound"]
            assert cells["offset"] == formatting.seconds(row["pace_offset_s"], 3)
            assert cells["degradation"] == formatting.seconds(row["degradation_s_per_lap"], 3)
            assert cells["stints"] == str(row["fitted_stints"])
            assert cells["laps"] == str(row["representative_laps"])
            assert cells["residual"] == formatting.seconds(row["residual_sd_s"], 3)
            assert cells["r_squared"] == formatting.fixed(row["r_squared"], 2)
        text = html.unescape(path.read_text(encoding="utf-8"))
        fuel = text[text.index('id="fuel-effect"') : text.index("</p>", text.index('id="fuel-effect"'))]
        fuel = " ".join(re.sub(r"<[^>]+>", "", fuel).split())
        (race,) = {
            (
                row["fuel_effect_s_per_lap"],
                row["fuel_effect_source"],
                row["fuel_stint_pairs"],
                row["reference_compound"],
            )
            for row in models
        }
        assert f"Fuel effect {formatting.seconds(race[0], 3)} s/lap" in fuel
        assert f"(source: {race[1]})" in fuel
        assert f"offsets against {race[3]}." in fuel
        if race[1] == "race":
            assert f"this race ({race[2]} stint pairs)" in fuel


@pytest.mark.slow
def test_undercut_attempts_show_both_stops_track_status(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    attempts = 0
    for session in race_sessions(marts):
        page = parse(site / race_path(session))
        # the modelled chance a lap before the attacker's stop, against the car he attacked
        undercuts = rows(
            marts,
            "select u.attacking_stop_lap, u.attacking_stop_track_status, u.target_stop_track_status, u.outcome,"
            " c.undercut_chance from marts.undercuts as u left join marts.fct_undercut_chances as c"
            " on c.session_key = u.session_key and c.driver_number = u.attacking_driver_number"
            " and c.lap_number = u.attacking_stop_lap - 1 and c.ahead_driver_number = u.target_driver_number"
            " where u.session_key = ?"
            " order by u.attempt_kind desc, u.attacking_stop_lap, u.attacking_position_before",
            session["session_key"],
        )
        shown = [cells for _, cells in page.tables.get("undercuts", Table()).rows]
        columns = page.tables["undercuts"].columns if shown else []
        shown_rows = [dict(zip(columns, cells, strict=True)) for cells in shown]
        assert [(cells["lap"], cells["track"], cells["outcome"], cells["chance"]) for cells in shown_rows] == [
            (
                str(row["attacking_stop_lap"]),
                f"{shown_status(row['attacking_stop_track_status'])} / {shown_status(row['target_stop_track_status'])}",
                row["outcome"],
                percent(row["undercut_chance"]),
            )
            for row in undercuts
        ]
        attempts += len(undercuts)
    assert attempts > 0


@pytest.mark.slow
def test_undercut_chances_are_the_mart(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    """The race's ten best modelled chances (fct_undercut_chances), as the mart has them."""
    shown_races = 0
    for session in grand_prix(marts):
        page = parse(site / race_path(session))
        best = rows(
            marts,
            "select lap_number, gap_s, margin_s, undercut_chance, observed_success_rate, observed_attempts"
            " from marts.fct_undercut_chances where session_key = ? and undercut_chance is not null"
            " order by undercut_chance desc, lap_number, driver_number limit 10",
            session["session_key"],
        )
        table = page.tables.get("undercut-chance", Table())
        shown = [dict(zip(table.columns, cells, strict=True)) for _, cells in table.rows]
        assert [(c["lap"], c["gap"], c["margin"], c["chance"], c["observed"]) for c in shown] == [
            (
                str(row["lap_number"]),
                seconds(row["gap_s"], 2),
                signed_seconds(row["margin_s"]),
                percent(row["undercut_chance"]),
                f"{percent(row['observed_success_rate'])} ({row['observed_attempts']})",
            )
            for row in best
        ]
        shown_races += bool(best)
    assert shown_races >= 3


@pytest.mark.slow
def test_sprints_say_the_engine_prices_grands_prix_only(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    sprints = [session for session in race_sessions(marts) if session["session_kind"] == "sprint"]
    for session in sprints:
        text = (site / race_path(session)).read_text(encoding="utf-8")
        assert 'id="strategy-not-modelled"' in text and "Grands Prix only" in text
        assert 'id="strategy-backtests"' not in text


@pytest.mark.slow
def test_a_race_the_engine_does_not_model_says_so(site: Path, marts: duckdb.DuckDBPyConnection) -> None:
    """A race where no driver is priced (wet, red flag, ...): the engine's reasons, and no empty tables."""
    unmodelled = unmodelled_reasons(marts)
    assert "wet race" in unmodelled.values()  # the sample's wet round
    by_key = {session["session_key"]: session for session in grand_prix(marts)}
    for session_key, reasons in unmodelled.items():
        path = site / race_path(by_key[session_key])
        text = " ".join(html.unescape(path.read_text(encoding="utf-8")).split())
        assert 'id="strategy-not-modelled"' in text
        assert f"Not modelled: {reasons}." in text
        page = parse(path)
        assert "strategy-backtests" not in page.tables and "strategy-options" not in page.tables
        assert page.tables["pit-loss"].rows  # the circuit's pit loss still holds
    modelled = set(by_key) - set(unmodelled)
    assert modelled
    for session_key in modelled:
        assert 'id="strategy-not-modelled"' not in (site / race_path(by_key[session_key])).read_text(encoding="utf-8")
