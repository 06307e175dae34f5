"""What each page shows: rows from the marts (``queries.py``) arranged for the templates and the charts.

Arranging means grouping rows by driver, picking colours and line styles (``DriverStyle``), and choosing what to
draw: one builder per chart. Every number on a page is a mart's value as selected; nothing here counts, sums or
picks a maximum (a value the page needs and no mart holds belongs in a mart: ``queries.py`` only selects).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from markupsafe import Markup

from reports import charts, telemetry
from reports.formatting import slug
from reports.queries import Marts, Row

FALLBACK_COLOUR = "#8a8a99"
DASHES = (None, "6 3", "2 2", "8 3 2 3")  # a team's first, second, third... driver in the order shown
FLAG_COLOURS = {
    "GREEN": "#2e9d3a",
    "YELLOW": "#ffd12e",
    "DOUBLE YELLOW": "#f5a300",
    "RED": "#e10600",
    "CHEQUERED": "#15151e",
    "BLACK AND WHITE": "#8a8a99",
}
LANES = ("Flags", "Safety car", "Penalties")


def colour(hex_value: str | None) -> str:
    """'3671C6' -> '#3671c6'; a grey when OpenF1 has no colour."""
    text = (hex_value or "").strip().lstrip("#").lower()
    if len(text) == 6 and all(c in "0123456789abcdef" for c in text):
        return f"#{text}"
    return FALLBACK_COLOUR


def race_path(session: Row) -> str:
    kind = "-sprint" if session["session_kind"] == "sprint" else ""
    return f"races/{session['season']}-{int(session['round_number']):02d}-{slug(session['meeting_name'])}{kind}.html"


def season_path(season: int) -> str:
    return f"seasons/{season}.html"


def qualifying_path(session: Row) -> str:
    """A qualifying or sprint-qualifying session's page: qualifying/2025-03-suzuka-grand-prix[-sprint].html."""
    kind = "-sprint" if session["session_kind"] == "sprint_qualifying" else ""
    return (
        f"qualifying/{session['season']}-{int(session['round_number']):02d}-{slug(session['meeting_name'])}{kind}.html"
    )


def driver_path(season: int, driver_id: str | None) -> str | None:
    """A driver's page for one season (drivers/2024-ver-verstappen.html); None when the row names no driver_id.

    Every table that names a driver links here: pass the row's season and driver_id to the ``driver`` macro."""
    return f"drivers/{season}-{slug(driver_id)}.html" if driver_id else None


QUALITY_PATH = "quality.html"
Key = TypeVar("Key", bound=Hashable)


class Colours:
    """Team colours per season, and a line style per driver that tells teammates apart."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.by_team = {(row["season"], row["team_name"]): colour(row["team_colour_hex"]) for row in rows}

    def team(self, season: int, team_name: str | None) -> str:
        return self.by_team.get((season, team_name), FALLBACK_COLOUR)

    @staticmethod
    def dashes(drivers: Iterable[tuple[Key, str | None]]) -> dict[Key, str | None]:
        """driver key -> dash pattern: the first driver of each team solid, the next dashed, and so on."""
        seen: dict[str | None, int] = {}
        styles: dict[Key, str | None] = {}
        for key, team_name in drivers:
            index = seen.get(team_name, 0)
            seen[team_name] = index + 1
            styles[key] = DASHES[index] if index < len(DASHES) else DASHES[-1]
        return styles


def _group(rows: Iterable[Row], key: str) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _code(row: Row) -> str:
    return row.get("driver_code") or str(row.get("driver_number") or "?")


# ---- index -----------------------------------------------------------------------------------------------------
def index_context(marts: Marts) -> dict[str, Any]:
    sessions = marts.race_sessions()
    winners = {
        row["session_key"]: {**row, "driver_path": driver_path(row["season"], row["driver_id"])}
        for row in marts.winners()
    }
    seasons: dict[int, dict[int, dict[str, Any]]] = {}
    for session in sessions:
        rounds = seasons.setdefault(session["season"], {})
        entry = rounds.setdefault(session["round_number"], {"meeting": session, "sessions": []})
        entry["sessions"].append({**session, "path": race_path(session), "winner": winners.get(session["session_key"])})
    standings_seasons = set(marts.seasons())
    return {
        "seasons": [
            {
                "season": season,
                "path": season_path(season) if season in standings_seasons else None,
                "rounds": list(rounds.values()),
            }
            for season, rounds in sorted(seasons.items(), reverse=True)
        ],
        "quality_path": QUALITY_PATH,
        **_driver_index(marts),
    }


def _driver_index(marts: Marts) -> dict[str, Any]:
    """Champions, the latest podium and the driver pages (reports/drivers.py, imported here: it imports us)."""
    from reports import drivers

    return drivers.index_additions(marts, Colours(marts.team_colours()))


# ---- race report -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DriverStyle:
    """How one car is drawn on every chart of a race report: its label, its team's colour and its line dash."""

    code: str  # the label on the charts and their data-key: the driver code, else the car number
    colour: str
    dash: str | None  # None: a solid line (the team's first driver in the classification); else an SVG dash array
    team_name: str | None

    @property
    def legend(self) -> str:
        return f"{self.code} ({self.team_name or '?'})"


def driver_styles(
    season: int, classification: list[Row], laps_by_driver: dict[int, list[Row]], colours: Colours
) -> dict[int, DriverStyle]:
    """Car number -> style, in drawing order: the classification's order, then any car that only has laps."""
    dashes = colours.dashes((row["driver_number"], row["team_name"]) for row in classification)
    styles = {
        row["driver_number"]: DriverStyle(
            _code(row), colours.team(season, row["team_name"]), dashes[row["driver_number"]], row["team_name"]
        )
        for row in classification
    }
    for number, laps in laps_by_driver.items():
        if number not in styles:  # a car in the laps but not in the classification
            styles[number] = DriverStyle(_code(laps[0]), FALLBACK_COLOUR, None, None)
    return styles


def lap_chart(
    styles: dict[int, DriverStyle], classification: list[Row], laps_by_driver: dict[int, list[Row]]
) -> Markup | None:
    """Positions lap by lap, from the grid slot (lap 0) to the flag."""
    grid = {row["driver_number"]: row["grid_position"] for row in classification}
    series = []
    for number, style in styles.items():
        points = [(0.0, float(grid[number]))] if grid.get(number) else []
        points += [
            (float(lap["lap_number"]), float(lap["position_at_lap_end"]))
            for lap in laps_by_driver.get(number, [])
            if lap["position_at_lap_end"] is not None
        ]
        series.append(charts.Series(style.code, style.code, style.colour, points, style.dash, style.legend))
    drawn = [line for line in series if len(line.points) > 1]
    return charts.lap_chart(drawn, len(styles)) if drawn else None


def gap_chart(styles: dict[int, DriverStyle], laps_by_driver: dict[int, list[Row]]) -> Markup | None:
    """Each car's gap to the leader at the end of each lap (fct_laps.gap_to_leader_s)."""
    series = [
        charts.Series(
            style.code,
            style.code,
            style.colour,
            [
                (float(lap["lap_number"]), float(lap["gap_to_leader_s"]))
                for lap in laps_by_driver.get(number, [])
                if lap["gap_to_leader_s"] is not None
            ],
            style.dash,
        )
        for number, style in styles.items()
    ]
    drawn = [line for line in series if line.points]
    if not drawn:
        return None
    return charts.line_chart(
        drawn,
        "gap-chart",
        "Gap to the leader at the end of each lap",
        "Lap",
        "Seconds behind the leader",
        invert_y=True,
        height=420,
    )


def strategy_chart(styles: dict[int, DriverStyle], stints: list[Row], race_laps: int) -> Markup | None:
    """Each car's stints (fct_stints) as bars by compound."""
    stints_by_driver = _group(stints, "driver_number")
    rows = [
        charts.StrategyRow(
            style.code,
            style.code,
            style.colour,
            [
                charts.Stint(
                    stint["first_lap_number"],
                    stint["last_lap_number"],
                    stint["compound"],
                    f"{style.code} stint {stint['stint_number']}: {stint['compound'] or 'unknown'}, laps "
                    f"{stint['first_lap_number']}–{stint['last_lap_number']} (tyres {stint['tyre_age_at_start_laps']} "
                    f"laps old at the start)",
                )
                for stint in stints_by_driver[number]
                if stint["first_lap_number"] is not None
                and stint["last_lap_number"] is not None
                and stint["last_lap_number"] >= stint["first_lap_number"]
            ],
        )
        for number, style in styles.items()
        if number in stints_by_driver
    ]
    return charts.strategy_chart(rows, race_laps) if rows else None


def pace_chart(styles: dict[int, DriverStyle], laps_by_driver: dict[int, list[Row]]) -> Markup | None:
    """Every clean lap (fct_laps.is_clean_lap) of every car."""
    rows = [
        charts.PaceRow(
            style.code,
            style.code,
            style.colour,
            [
                charts.PaceLap(lap["lap_number"], lap["lap_duration_s"], lap["compound"])
                for lap in laps_by_driver.get(number, [])
                if lap["is_clean_lap"] and lap["lap_duration_s"] is not None
            ],
        )
        for number, style in styles.items()
    ]
    drawn = [row for row in rows if row.laps]
    return charts.pace_chart(drawn) if drawn else None


def pit_chart(pit_stops: list[Row]) -> Markup | None:
    """Pit stops in time order (fct_pit_stops), each in its team's colour (the row's ``colour``)."""
    if not pit_stops:
        return None
    return charts.pit_chart(
        [
            charts.PitBar(
                _code(stop),
                _code(stop),
                stop["colour"],
                stop["lap_number"],
                stop["lane_duration_s"],
                stop["stop_duration_s"],
            )
            for stop in pit_stops
        ]
    )


def race_control_chart(messages: list[Row], leader_laps: list[Row], race_laps: int) -> Markup | None:
    """Track status on the leader's laps, and the race-control messages on their lanes."""
    events = [_race_control_event(message) for message in messages if message["lap_number"] is not None]
    statuses = [(lap["lap_number"], lap["track_status"]) for lap in leader_laps if lap["track_status"]]
    if not (statuses or events):
        return None
    return charts.race_control_chart(statuses, events, LANES, race_laps)


def weather_chart(weather: list[Row]) -> Markup | None:
    """Air and track temperature over the session (fct_weather), rain shaded."""
    if len(weather) < 2:
        return None
    return charts.weather_chart(
        [
            charts.WeatherSample(
                row["recorded_at"], row["air_temperature_c"], row["track_temperature_c"], row["is_raining"]
            )
            for row in weather
        ]
    )


def race_context(marts: Marts, session: Row, colours: Colours) -> dict[str, Any]:
    session_key, season = session["session_key"], session["season"]
    classification = marts.classification(session_key)
    has_gap = marts.has_column("fct_laps", "gap_to_leader_s")
    laps_by_driver = _group(marts.laps(session_key, has_gap), "driver_number")
    styles = driver_styles(season, classification, laps_by_driver, colours)
    for row in classification:
        row["colour"] = styles[row["driver_number"]].colour
        row["driver_path"] = driver_path(season, row["driver_id"])
    race_laps = marts.race_laps(session_key)
    pit_stops = marts.pit_stops(session_key)
    for stop in pit_stops:
        stop["colour"] = colours.team(season, stop["team_name"])
        stop["driver_path"] = driver_path(season, stop["driver_id"])
    messages = marts.race_control(session_key)
    weather = marts.weather(session_key)
    undercuts = marts.undercuts(session_key)
    for undercut in undercuts:
        undercut["attacking_colour"] = colours.team(season, undercut["attacking_team_name"])
        undercut["target_colour"] = colours.team(season, undercut["target_team_name"])
        undercut["attacking_driver_path"] = driver_path(season, undercut["attacking_driver_id"])
        undercut["target_driver_path"] = driver_path(season, undercut["target_driver_id"])
    chances = marts.undercut_chances(session_key)
    for chance in chances:
        chance["colour"] = colours.team(season, chance["team_name"])
        chance["ahead_colour"] = colours.team(season, chance["ahead_team_name"])
        chance["driver_path"] = driver_path(season, chance["driver_id"])
        chance["ahead_driver_path"] = driver_path(season, chance["ahead_driver_id"])
    backtests = marts.strategy_backtests(session_key)
    for backtest in backtests:
        style = styles.get(backtest["driver_number"])
        backtest["colour"] = style.colour if style else FALLBACK_COLOUR
        backtest["driver_path"] = driver_path(season, backtest["driver_id"])
    amendments = marts.amendments(session_key)
    for amendment in amendments:
        style = styles.get(amendment["driver_number"])
        amendment["colour"] = style.colour if style else FALLBACK_COLOUR
        amendment["driver_path"] = driver_path(season, amendment["driver_id"])
    return {
        "session": session,
        "classification": classification,
        "race_laps": race_laps,
        "lap_chart": lap_chart(styles, classification, laps_by_driver),
        "gap_chart": gap_chart(styles, laps_by_driver) if has_gap else None,
        "has_gap_mart": has_gap,
        "strategy_chart": strategy_chart(styles, marts.stints(session_key), race_laps),
        "pace_chart": pace_chart(styles, laps_by_driver),
        "pit_stops": pit_stops,
        "pit_chart": pit_chart(pit_stops),
        "race_control": messages,
        "race_control_chart": race_control_chart(messages, marts.leader_laps(session_key), race_laps),
        "weather": weather,
        "weather_chart": weather_chart(weather),
        "undercuts": undercuts,
        "strategy": {
            "not_modelled": marts.strategy_not_modelled(session_key),
            "backtests": backtests,
            "options": marts.strategy_options(session_key),
            "pit_losses": marts.pit_loss_by_track_status(session_key),
            "tyre_models": marts.tyre_models(session_key),
            "fuel": marts.fuel_effect(session_key),
            "undercut_chances": chances,
        },
        "amendments": amendments,
        "without_laps": [row for row in classification if row["driver_number"] not in laps_by_driver],
        "compounds": charts.COMPOUND_COLOURS,
        "telemetry": telemetry.section_context(marts, session_key, colours),
    }


def _race_control_event(message: Row) -> charts.RaceControlEvent:
    text = f"Lap {message['lap_number']}: {message['message']}"
    if message["is_penalty"]:
        return charts.RaceControlEvent(message["lap_number"], "Penalties", "#8e44ad", text)
    if message["category"] == "SafetyCar":
        shade = charts.TRACK_STATUS_COLOURS["vsc" if message["is_virtual_safety_car"] else "sc"]
        return charts.RaceControlEvent(message["lap_number"], "Safety car", shade, text)
    return charts.RaceControlEvent(
        message["lap_number"], "Flags", FLAG_COLOURS.get(message["flag"] or "", FALLBACK_COLOUR), text
    )


# ---- season report -----------------------------------------------------------------------------------------------
def driver_points_chart(
    drivers: list[Row], final_standings: list[Row], round_ticks: list[float], colours: Colours, season: int
) -> Markup | None:
    """Each driver's points after every round (driver_standings), in the colour of the last team raced for."""
    dashes = colours.dashes((row["driver_id"], row["latest_team_name"]) for row in final_standings)
    by_driver = _group(drivers, "driver_id")
    series = [
        charts.Series(
            _code(row),
            _code(row),
            colours.team(season, row["latest_team_name"]),
            [(float(point["round"]), float(point["points"])) for point in by_driver[row["driver_id"]]],
            dashes[row["driver_id"]],
            f"{row['full_name'] or _code(row)} ({row['latest_team_name'] or '?'})",
        )
        for row in final_standings
    ]
    if not (round_ticks and series):
        return None
    return charts.line_chart(
        series,
        "driver-points-chart",
        "Drivers' championship points after each round",
        "Round",
        "Points",
        x_ticks=round_ticks,
        height=460,
    )


def constructor_points_chart(
    teams: list[Row], final_standings: list[Row], round_ticks: list[float], colours: Colours, season: int
) -> Markup | None:
    """Each team's points after every round (constructor_standings)."""
    by_team = _group(teams, "team_name")
    series = [
        charts.Series(
            row["team_name"],
            row["team_name"],
            colours.team(season, row["team_name"]),
            [(float(point["round"]), float(point["points"])) for point in by_team[row["team_name"]]],
        )
        for row in final_standings
    ]
    if not (round_ticks and series):
        return None
    return charts.line_chart(
        series,
        "constructor-points-chart",
        "Constructors' championship points after each round",
        "Round",
        "Points",
        x_ticks=round_ticks,
        height=360,
    )


def season_context(marts: Marts, season: int, colours: Colours, race_paths: dict[int, str]) -> dict[str, Any]:
    from reports.title import title_context  # imported here: reports.title imports this module

    rounds = marts.rounds(season)
    for round_row in rounds:
        round_row["race_path"] = race_paths.get(round_row["race_session_key"])
        round_row["sprint_path"] = race_paths.get(round_row["sprint_session_key"])
    driver_table = marts.final_driver_standings(season)
    team_table = marts.final_constructor_standings(season)
    for row in driver_table:
        row["colour"] = colours.team(season, row["latest_team_name"])
        row["driver_path"] = driver_path(season, row["driver_id"])
    for row in team_table:
        row["colour"] = colours.team(season, row["team_name"])
    last_round = driver_table[0]["round"] if driver_table else None
    round_ticks = [float(row["round_number"]) for row in rounds if row["round_number"] <= (last_round or 0)]
    teammates = marts.teammates(season)
    for row in teammates:
        row["colour"] = colour(row["team_colour_hex"])
        row["driver_path"] = driver_path(season, row["driver_id"])
    head_to_heads = marts.head_to_heads(season)
    for row in head_to_heads:
        row["colour"] = colours.team(season, row["team_name"])
        row["driver_path"] = driver_path(season, row["driver_id"])
        row["teammate_path"] = driver_path(season, row["teammate_driver_id"])
    return {
        "season": season,
        "rounds": rounds,
        "last_round": last_round,
        "driver_standings": driver_table,
        "constructor_standings": team_table,
        "driver_chart": driver_points_chart(marts.driver_standings(season), driver_table, round_ticks, colours, season),
        "constructor_chart": constructor_points_chart(
            marts.constructor_standings(season), team_table, round_ticks, colours, season
        ),
        "teams": list(_group(teammates, "team_name").values()),
        "head_to_heads": head_to_heads,
        "title_fight": title_context(marts, season, colours),
    }
