"""What each page shows: rows from the marts (``queries.py``) arranged for the templates and the charts.

Arranging means grouping rows by driver, picking colours and line styles, and choosing what to draw; every
number on a page is a mart's value as selected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reports import charts
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


QUALITY_PATH = "quality.html"


class Colours:
    """Team colours per season, and a line style per driver that tells teammates apart."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.by_team = {(row["season"], row["team_name"]): colour(row["team_colour_hex"]) for row in rows}

    def team(self, season: int, team_name: str | None) -> str:
        return self.by_team.get((season, team_name), FALLBACK_COLOUR)

    @staticmethod
    def dashes(drivers: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
        """driver key -> dash pattern: the first driver of each team solid, the next dashed, and so on."""
        seen: dict[str | None, int] = {}
        styles: dict[str, str | None] = {}
        for key, team_name in drivers:
            index = seen.get(team_name, 0)
            seen[team_name] = index + 1
            styles[key] = DASHES[min(index, len(DASHES) - 1)]
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
    winners = {row["session_key"]: row for row in marts.winners()}
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
    }


# ---- race report -------------------------------------------------------------------------------------------------
def race_context(marts: Marts, session: Row, colours: Colours) -> dict[str, Any]:
    session_key, season = session["session_key"], session["season"]
    classification = marts.classification(session_key)
    team_of = {row["driver_number"]: row["team_name"] for row in classification}
    dashes = colours.dashes((str(row["driver_number"]), row["team_name"]) for row in classification)
    for row in classification:
        row["colour"] = colours.team(season, row["team_name"])
    order = [row["driver_number"] for row in classification]
    style = {
        row["driver_number"]: (row["colour"], dashes[str(row["driver_number"])], _code(row)) for row in classification
    }

    has_gap = marts.has_column("fct_laps", "gap_to_leader_s")
    laps = marts.laps(session_key, has_gap)
    laps_by_driver = _group(laps, "driver_number")
    for number in laps_by_driver:
        if number not in style:  # a car in the laps but not in the classification
            order.append(number)
            code = _code(laps_by_driver[number][0])
            style[number] = (FALLBACK_COLOUR, None, code)
    race_laps = max((row["laps_completed"] or 0 for row in classification), default=0)
    race_laps = max(race_laps, max((row["lap_number"] for row in laps), default=0))

    lap_series = []
    for number in order:
        colour_hex, dash, code = style[number]
        grid = next((row["grid_position"] for row in classification if row["driver_number"] == number), None)
        points = [(0.0, float(grid))] if grid else []
        points += [
            (float(lap["lap_number"]), float(lap["position_at_lap_end"]))
            for lap in laps_by_driver.get(number, [])
            if lap["position_at_lap_end"] is not None
        ]
        lap_series.append(charts.Series(code, code, colour_hex, points, dash, f"{code} ({team_of.get(number) or '?'})"))
    drawn = [series for series in lap_series if len(series.points) > 1]
    lap_chart = charts.lap_chart(drawn, max(len(order), 2)) if drawn else None

    gap_chart = None
    if has_gap:
        gap_series = [
            charts.Series(
                style[number][2],
                style[number][2],
                style[number][0],
                [
                    (float(lap["lap_number"]), float(lap["gap_to_leader_s"]))
                    for lap in laps_by_driver.get(number, [])
                    if lap["gap_to_leader_s"] is not None
                ],
                style[number][1],
            )
            for number in order
        ]
        gap_series = [series for series in gap_series if series.points]
        if gap_series:
            gap_chart = charts.line_chart(
                gap_series,
                "gap-chart",
                "Gap to the leader at the end of each lap",
                "Lap",
                "Seconds behind the leader",
                invert_y=True,
                height=420,
            )

    stints_by_driver = _group(marts.stints(session_key), "driver_number")
    strategy_rows = [
        charts.StrategyRow(
            style[number][2],
            style[number][2],
            style[number][0],
            [
                charts.Stint(
                    stint["first_lap_number"],
                    stint["last_lap_number"],
                    stint["compound"],
                    f"{style[number][2]} stint {stint['stint_number']}: {stint['compound'] or 'unknown'}, laps "
                    f"{stint['first_lap_number']}–{stint['last_lap_number']} (tyres {stint['tyre_age_at_start_laps']} "
                    f"laps old at the start)",
                )
                for stint in stints_by_driver.get(number, [])
                if stint["first_lap_number"] is not None
                and stint["last_lap_number"] is not None
                and stint["last_lap_number"] >= stint["first_lap_number"]
            ],
        )
        for number in order
        if number in stints_by_driver
    ]
    strategy_chart = charts.strategy_chart(strategy_rows, race_laps) if strategy_rows else None

    pace_rows = [
        charts.PaceRow(
            style[number][2],
            style[number][2],
            style[number][0],
            [
                charts.PaceLap(lap["lap_number"], lap["lap_duration_s"], lap["compound"])
                for lap in laps_by_driver.get(number, [])
                if lap["is_clean_lap"] and lap["lap_duration_s"] is not None
            ],
        )
        for number in order
    ]
    pace_rows = [row for row in pace_rows if row.laps]
    pace_chart = charts.pace_chart(pace_rows) if pace_rows else None

    pit_stops = marts.pit_stops(session_key)
    for stop in pit_stops:
        stop["colour"] = colours.team(season, stop["team_name"])
    pit_chart = (
        charts.pit_chart(
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
        if pit_stops
        else None
    )

    messages = marts.race_control(session_key)
    leader_laps = marts.leader_laps(session_key)
    events = [_race_control_event(message) for message in messages if message["lap_number"] is not None]
    statuses = [(lap["lap_number"], lap["track_status"]) for lap in leader_laps if lap["track_status"]]
    race_control_chart = charts.race_control_chart(statuses, events, LANES, race_laps) if (statuses or events) else None

    weather = marts.weather(session_key)
    weather_chart = (
        charts.weather_chart(
            [
                charts.WeatherSample(
                    row["recorded_at"], row["air_temperature_c"], row["track_temperature_c"], row["is_raining"]
                )
                for row in weather
            ]
        )
        if len(weather) > 1
        else None
    )

    undercuts = marts.undercuts(session_key)
    for undercut in undercuts:
        undercut["attacking_colour"] = colours.team(season, undercut["attacking_team_name"])
        undercut["target_colour"] = colours.team(season, undercut["target_team_name"])

    amendments = marts.amendments(session_key)
    for amendment in amendments:
        amendment["colour"] = colours.team(season, team_of.get(amendment["driver_number"]))

    without_laps = [row for row in classification if row["driver_number"] not in laps_by_driver]
    return {
        "session": session,
        "classification": classification,
        "race_laps": race_laps,
        "lap_chart": lap_chart,
        "gap_chart": gap_chart,
        "has_gap_mart": has_gap,
        "strategy_chart": strategy_chart,
        "pace_chart": pace_chart,
        "pit_stops": pit_stops,
        "pit_chart": pit_chart,
        "race_control": messages,
        "race_control_chart": race_control_chart,
        "weather": weather,
        "weather_chart": weather_chart,
        "undercuts": undercuts,
        "amendments": amendments,
        "without_laps": without_laps,
        "compounds": charts.COMPOUND_COLOURS,
    }


def _race_control_event(message: Row) -> charts.RaceControlEvent:
    text = f"Lap {message['lap_number']}: {message['message']}"
    if message["is_penalty"]:
        return charts.RaceControlEvent(message["lap_number"], "Penalties", "#8e44ad", text)
    if message["category"] == "SafetyCar":
        virtual = "VIRTUAL" in (message["message"] or "").upper()
        shade = charts.TRACK_STATUS_COLOURS["vsc" if virtual else "sc"]
        return charts.RaceControlEvent(message["lap_number"], "Safety car", shade, text)
    return charts.RaceControlEvent(
        message["lap_number"], "Flags", FLAG_COLOURS.get(message["flag"] or "", FALLBACK_COLOUR), text
    )


# ---- season report -----------------------------------------------------------------------------------------------
def season_context(marts: Marts, season: int, colours: Colours, race_paths: dict[int, str]) -> dict[str, Any]:
    rounds = marts.rounds(season)
    for round_row in rounds:
        round_row["race_path"] = race_paths.get(round_row["race_session_key"])
        round_row["sprint_path"] = race_paths.get(round_row["sprint_session_key"])
    drivers = marts.driver_standings(season)
    teams = marts.constructor_standings(season)
    last_round = drivers[-1]["round"] if drivers else None
    driver_table = [row for row in drivers if row["round"] == last_round]
    team_table = [row for row in teams if row["round"] == (teams[-1]["round"] if teams else None)]
    latest_team = {}
    for row in drivers:  # rounds ascending: the last team a driver raced for wins
        if row["team_name"]:
            latest_team[row["driver_id"]] = row["team_name"]
    for row in driver_table:
        row["colour"] = colours.team(season, latest_team.get(row["driver_id"]))
        row["latest_team_name"] = latest_team.get(row["driver_id"])
    for row in team_table:
        row["colour"] = colours.team(season, row["team_name"])

    dashes = colours.dashes((row["driver_id"], row["latest_team_name"]) for row in driver_table)
    by_driver = _group(drivers, "driver_id")
    driver_series = [
        charts.Series(
            _code(row),
            _code(row),
            row["colour"],
            [(float(point["round"]), float(point["points"])) for point in by_driver[row["driver_id"]]],
            dashes[row["driver_id"]],
            f"{row['full_name'] or _code(row)} ({row['latest_team_name'] or '?'})",
        )
        for row in driver_table
    ]
    by_team = _group(teams, "team_name")
    team_series = [
        charts.Series(
            row["team_name"],
            row["team_name"],
            row["colour"],
            [(float(point["round"]), float(point["points"])) for point in by_team[row["team_name"]]],
        )
        for row in team_table
    ]
    round_ticks = [float(row["round_number"]) for row in rounds if row["round_number"] <= (last_round or 0)]
    driver_chart = (
        charts.line_chart(
            driver_series,
            "driver-points-chart",
            "Drivers' championship points after each round",
            "Round",
            "Points",
            x_ticks=round_ticks,
            height=460,
        )
        if len(round_ticks) > 0 and driver_series
        else None
    )
    team_chart = (
        charts.line_chart(
            team_series,
            "constructor-points-chart",
            "Constructors' championship points after each round",
            "Round",
            "Points",
            x_ticks=round_ticks,
            height=360,
        )
        if len(round_ticks) > 0 and team_series
        else None
    )
    teammates = marts.teammates(season)
    for row in teammates:
        row["colour"] = colour(row["team_colour_hex"])
    return {
        "season": season,
        "rounds": rounds,
        "last_round": last_round,
        "driver_standings": driver_table,
        "constructor_standings": team_table,
        "driver_chart": driver_chart,
        "constructor_chart": team_chart,
        "teams": list(_group(teammates, "team_name").values()),
        "head_to_heads": marts.head_to_heads(season),
    }
