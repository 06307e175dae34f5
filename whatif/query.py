"""The what-if read from the published copy (read-only): the race, the driver, the prices of a strategy.

The model's race time for a strategy = the driver's strategy_free_time_s (marts.strategy_race_backtests: pace,
fuel, start, neutralised laps) + each stint's tyre_cost_s on new tyres (marts.strategy_stint_costs, planning mode
'hindsight') + each stop's pit_loss_s at its in-lap under that lap's real status (marts.strategy_race_laps).
Each refusal is one ``WhatIfError`` line naming the cause and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from whatif.strategy import Stint, check_race, pit_laps

# the backtest's word for a race time that is a gap in disguise (its rule lives in strategy_race_backtests.sql)
IMPLAUSIBLE = "no plausible race time"
RACES_LISTED = 5
# not_backtested_reason values that hold for every driver of the race
RACE_REASONS = {"wet race", "red flag", "a neutralised lap has no time"}
FIND_RACES = (
    'make query SQL="select session_key, season, round_number, circuit_short_name from marts.dim_sessions'
    " where session_kind = 'race' order by started_at desc\""
)


# the marts the what-if reads (a copy published before the strategy engine lacks the strategy ones)
READS = (
    "dim_sessions",
    "dim_meetings",
    "fct_session_results",
    "fct_stints",
    "strategy_race_backtests",
    "strategy_stint_costs",
    "strategy_race_laps",
    "strategy_optimal_strategies",
)


class WhatIfError(RuntimeError):
    """The what-if cannot be answered: the message (one line) says why and what to give instead."""


@dataclass(frozen=True)
class Race:
    session_key: int
    season: int
    round_number: int | None
    circuit: str
    meeting_name: str
    laps: int

    def name(self) -> str:
        """'the 2025 Bahrain Grand Prix (session 10305)'."""
        return f"the {self.season} {self.meeting_name or self.circuit + ' race'} (session {self.session_key})"


@dataclass(frozen=True)
class Car:
    """A car's real result in the race."""

    driver_number: int
    driver_code: str
    full_name: str
    team_name: str
    classified_position: int | None
    laps_behind: int | None
    race_time_s: float | None
    status: str
    plausible_time: bool = True  # False: the backtest found its race time implausible (a gap in its place)


@dataclass(frozen=True)
class StintPrice:
    stint: Stint
    green_laps: int
    tyre_cost_s: float


@dataclass(frozen=True)
class StopPrice:
    in_lap: int
    track_status: str
    pit_loss_s: float


@dataclass(frozen=True)
class Best:
    planning_mode: str  # hindsight | plan
    strategy: str
    stops: int
    race_time_s: float | None  # the model's race time for this driver (plan: in a race without neutralisations)


@dataclass(frozen=True)
class WhatIf:
    race: Race
    car: Car
    asked: list[StintPrice]
    stops: list[StopPrice]
    driven_strategy: str
    driven_stops: int
    strategy_free_time_s: float
    driven_strategy_time_s: float
    model_driven_s: float
    backtest_error_s: float
    cars: list[Car]
    best: list[Best] = field(default_factory=list)
    used_tyres: list[tuple[str, int, int]] = field(default_factory=list)  # driven: (compound, first lap, age)

    @property
    def asked_strategy_time_s(self) -> float:
        return sum(price.tyre_cost_s for price in self.asked) + sum(stop.pit_loss_s for stop in self.stops)

    @property
    def model_asked_s(self) -> float:
        return self.strategy_free_time_s + self.asked_strategy_time_s

    @property
    def difference_s(self) -> float:
        return self.model_asked_s - self.model_driven_s

    @property
    def implied_race_time_s(self) -> float:
        assert self.car.race_time_s is not None
        return self.car.race_time_s + self.difference_s

    def compared(self) -> list[Car]:
        """The other lead-lap finishers with a plausible race time: those the implied time is ranked among."""
        return [
            car
            for car in self.cars
            if car.driver_number != self.car.driver_number
            and car.classified_position is not None
            and (car.laps_behind or 0) == 0
            and car.race_time_s is not None
            and car.plausible_time
        ]

    @property
    def implied_position(self) -> int:
        """1 + the others ahead on time; lapped and unclassified cars stay behind (a tie goes to the driver)."""
        return 1 + sum(1 for car in self.compared() if car.race_time_s < self.implied_race_time_s)

    def winner_s(self, time_s: float) -> float:
        """The winning time were the driver's time ``time_s``."""
        return min([time_s, *(car.race_time_s for car in self.compared())])

    def neighbours(self) -> tuple[Car | None, Car | None]:
        """The cars just ahead of and just behind the implied time."""
        ordered = sorted(self.compared(), key=lambda car: (car.race_time_s, car.driver_number))
        ahead = [car for car in ordered if car.race_time_s < self.implied_race_time_s]
        behind = [car for car in ordered if car.race_time_s >= self.implied_race_time_s]
        return (ahead[-1] if ahead else None), (behind[0] if behind else None)


def require_marts(connection: duckdb.DuckDBPyConnection) -> None:
    present = {
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    missing = [name for name in READS if name not in present]
    if missing:
        path = connection.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
        raise WhatIfError(
            f"the published copy {path} has no marts.{missing[0]} (published before the strategy engine?):"
            " run make build to publish a current one"
        )


def resolve_session(connection: duckdb.DuckDBPyConnection, session: str | None) -> int:
    """SESSION as a session_key: a number, or ``latest`` (the latest race in which the engine priced a driver)."""
    text = (session or "").strip()
    if not text:
        raise WhatIfError(f"no race: give SESSION=<session_key> or SESSION=latest ({races_hint(connection)})")
    if text.lower() == "latest":
        row = connection.execute(
            "select sessions.session_key from marts.dim_sessions as sessions"
            " where sessions.session_kind = 'race' and sessions.session_key in"
            " (select session_key from marts.strategy_race_backtests where is_backtested)"
            " order by sessions.started_at desc, sessions.session_key desc limit 1"
        ).fetchone()
        if row is None:
            raise WhatIfError(
                "SESSION=latest: the published copy has no race the strategy engine priced: run make build"
            )
        return int(row[0])
    if not text.isdigit():
        raise WhatIfError(f"SESSION={text} is not a session_key: give a number or latest ({races_hint(connection)})")
    return int(text)


def races_hint(connection: duckdb.DuckDBPyConnection) -> str:
    rows = connection.execute(
        "select session_key, season, circuit_short_name from marts.dim_sessions where session_kind = 'race'"
        f" order by started_at desc, session_key desc limit {RACES_LISTED}"
    ).fetchall()
    listed = ", ".join(f"{key} ({season} {circuit})" for key, season, circuit in rows)
    latest = f"latest races: {listed}; " if listed else ""
    return f"{latest}all of them: {FIND_RACES}"


def race(connection: duckdb.DuckDBPyConnection, session_key: int) -> Race:
    row = connection.execute(
        "select sessions.session_key, sessions.season, sessions.round_number, sessions.circuit_short_name,"
        " coalesce(meetings.meeting_name, sessions.country_name, ''), sessions.session_kind, sessions.session_name,"
        " sessions.meeting_key from marts.dim_sessions as sessions left outer join marts.dim_meetings as meetings"
        " on sessions.meeting_key = meetings.meeting_key where sessions.session_key = ?",
        [session_key],
    ).fetchone()
    if row is None:
        raise WhatIfError(f"unknown session {session_key}: {races_hint(connection)}")
    key, season, round_number, circuit, meeting_name, kind, name, meeting_key = row
    if kind != "race":
        weekend = connection.execute(
            "select session_key from marts.dim_sessions where meeting_key = ? and session_kind = 'race'",
            [meeting_key],
        ).fetchone()
        fix = f"the Grand Prix of that weekend is SESSION={weekend[0]}" if weekend else races_hint(connection)
        raise WhatIfError(f"session {session_key} is a {name} ({season} {circuit}), not a Grand Prix: {fix}")
    laps = connection.execute(
        "select max(lap_number) from marts.strategy_race_laps where session_key = ?", [session_key]
    ).fetchone()[0]
    if laps is None:
        raise WhatIfError(
            f"the {season} race at {circuit} (session {session_key}) has no laps in marts.strategy_race_laps:"
            " the engine cannot model it (no lap data); pick another race"
        )
    return Race(int(key), int(season), round_number, circuit, meeting_name, int(laps))


def cars(connection: duckdb.DuckDBPyConnection, session_key: int) -> list[Car]:
    rows = connection.execute(
        "select results.driver_number, coalesce(results.driver_code, ''), coalesce(results.full_name, ''),"
        " coalesce(results.team_name, ''), results.classified_position, results.laps_behind, results.duration_s,"
        " coalesce(results.status, results.result_class, ''),"
        " coalesce(backtests.not_backtested_reason, '') != ?"
        " from marts.fct_session_results as results left outer join marts.strategy_race_backtests as backtests"
        " on results.session_key = backtests.session_key and results.driver_number = backtests.driver_number"
        " where results.session_key = ? order by results.classified_position nulls last, results.driver_number",
        [IMPLAUSIBLE, session_key],
    ).fetchall()
    return [Car(*row) for row in rows]


def find_car(cars_in_race: list[Car], driver: str | None, race_: Race) -> Car:
    """DRIVER as a car number (or a three-letter code) of the race."""
    text = (driver or "").strip()
    numbers = ", ".join(str(car.driver_number) for car in sorted(cars_in_race, key=lambda car: car.driver_number))
    if not text:
        raise WhatIfError(f"no driver: give DRIVER=<car number>; cars in {race_.name()}: {numbers}")
    for car in cars_in_race:
        if text == str(car.driver_number) or text.upper() == car.driver_code.upper():
            return car
    raise WhatIfError(f"no car {text} in {race_.name()}: give DRIVER= one of {numbers}")


def backtest(connection: duckdb.DuckDBPyConnection, race_: Race, car: Car) -> tuple:
    row = connection.execute(
        "select is_backtested, not_backtested_reason, driven_strategy, stops, strategy_free_time_s,"
        " driven_strategy_time_s, model_race_time_s, backtest_error_s, best_hindsight_race_time_s,"
        " best_plan_race_time_s from marts.strategy_race_backtests where session_key = ? and driver_number = ?",
        [race_.session_key, car.driver_number],
    ).fetchone()
    who = f"car {car.driver_number} ({car.driver_code})"
    if row is None:
        raise WhatIfError(
            f"{who} was not classified in {race_.name()} ({car.status or 'no result'}): the model prices classified"
            " lead-lap finishers; pick another DRIVER"
        )
    if not row[0]:
        fix = "pick another race" if row[1] in RACE_REASONS else "pick another DRIVER"
        raise WhatIfError(
            f"the model cannot price {who} in {race_.name()}: {row[1]}"
            f" (marts.strategy_race_backtests.not_backtested_reason); {fix}"
        )
    return row


def covered_compounds(connection: duckdb.DuckDBPyConnection, session_key: int) -> set[str]:
    rows = connection.execute(
        "select distinct compound from marts.strategy_stint_costs"
        " where session_key = ? and planning_mode = 'hindsight'",
        [session_key],
    ).fetchall()
    return {row[0] for row in rows}


def price_stints(connection: duckdb.DuckDBPyConnection, race_: Race, stints: list[Stint]) -> list[StintPrice]:
    prices = []
    for stint in stints:
        row = connection.execute(
            "select green_laps, tyre_cost_s from marts.strategy_stint_costs where session_key = ?"
            " and planning_mode = 'hindsight' and compound = ? and first_lap_number = ? and last_lap_number = ?",
            [race_.session_key, stint.compound, stint.first_lap, stint.last_lap],
        ).fetchone()
        if row is None or row[1] is None:
            raise WhatIfError(
                f'stint "{stint.text()}" has no tyre cost in marts.strategy_stint_costs for {race_.name()}:'
                " rebuild (make build) or change the stint"
            )
        prices.append(StintPrice(stint, int(row[0]), float(row[1])))
    return prices


def price_stops(connection: duckdb.DuckDBPyConnection, race_: Race, stints: list[Stint]) -> list[StopPrice]:
    stops = []
    for lap in pit_laps(stints):
        row = connection.execute(
            "select track_status, pit_loss_s from marts.strategy_race_laps where session_key = ? and lap_number = ?",
            [race_.session_key, lap],
        ).fetchone()
        if row is None or row[1] is None:
            status = row[0] if row else "unknown"
            raise WhatIfError(
                f"a stop after lap {lap} ({status}) has no pit loss in marts.strategy_race_laps for {race_.name()}:"
                " move that stop to another lap"
            )
        stops.append(StopPrice(lap, str(row[0]), float(row[1])))
    return stops


def used_tyres(connection: duckdb.DuckDBPyConnection, race_: Race, car: Car) -> list[tuple[str, int, int]]:
    """The driven stints that started on used tyres: compound, first lap, tyre age (laps)."""
    rows = connection.execute(
        "select compound, first_lap_number, tyre_age_at_start_laps from marts.fct_stints"
        " where session_key = ? and driver_number = ? and tyre_age_at_start_laps > 0 order by stint_number",
        [race_.session_key, car.driver_number],
    ).fetchall()
    return [(str(compound), int(first), int(age)) for compound, first, age in rows]


def best_strategies(connection: duckdb.DuckDBPyConnection, race_: Race, times: dict[str, float | None]) -> list[Best]:
    rows = connection.execute(
        "select planning_mode, strategy, stops from marts.strategy_optimal_strategies"
        " where session_key = ? and is_best order by planning_mode",
        [race_.session_key],
    ).fetchall()
    return [Best(mode, strategy, int(stops), times.get(mode)) for mode, strategy, stops in rows]


def what_if(
    connection: duckdb.DuckDBPyConnection, session: str | None, driver: str | None, stints: list[Stint]
) -> WhatIf:
    """Everything the printout shows, or the first WhatIfError."""
    require_marts(connection)
    race_ = race(connection, resolve_session(connection, session))
    field_ = cars(connection, race_.session_key)
    car = find_car(field_, driver, race_)
    (_, _, driven, driven_stops, free_s, driven_s, model_s, error_s, best_hindsight_s, best_plan_s) = backtest(
        connection, race_, car
    )
    check_race(stints, race_.laps, covered_compounds(connection, race_.session_key), race_.name())
    return WhatIf(
        race=race_,
        car=car,
        asked=price_stints(connection, race_, stints),
        stops=price_stops(connection, race_, stints),
        driven_strategy=str(driven),
        driven_stops=int(driven_stops),
        strategy_free_time_s=float(free_s),
        driven_strategy_time_s=float(driven_s),
        model_driven_s=float(model_s),
        backtest_error_s=float(error_s),
        cars=field_,
        best=best_strategies(connection, race_, {"hindsight": best_hindsight_s, "plan": best_plan_s}),
        used_tyres=used_tyres(connection, race_, car),
    )
