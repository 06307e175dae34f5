"""Driver pages: one per driver and season (``drivers/<season>-<driver_id>.html``), and the index's champions.

The SELECTs read marts only (``driver_season_rounds``, ``driver_standings``, ``driver_season_summary``,
``teammate_head_to_heads``, ``fct_pit_stops``, ``season_champions``); the functions below group their rows by
driver and add paths and colours. Nothing is counted, summed or compared here: a value a page shows is a mart's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from reports import charts_drivers
from reports.pages import Colours, driver_path, race_path, season_path
from reports.queries import Marts, Row


# ---- SELECTs -----------------------------------------------------------------------------------------------------
def driver_seasons(marts: Marts) -> list[Row]:
    """Every (season, driver_id) with a classified session: a race or sprint (driver_season_rounds) or a
    qualifying (fct_qualifying); his name as dim_drivers holds it, in standings order within a season."""
    return marts.rows(
        """
        with driver_seasons as (
            select season, driver_id from marts.driver_season_rounds
            union
            select season, driver_id from marts.fct_qualifying where driver_id is not null
        )

        select
            driver_seasons.season,
            driver_seasons.driver_id,
            drivers.driver_code,
            drivers.full_name,
            drivers.country_code,
            summaries.championship_position
        from driver_seasons
        inner join marts.dim_drivers as drivers
            on driver_seasons.driver_id = drivers.driver_id
        left join marts.driver_season_summary as summaries
            on
                driver_seasons.season = summaries.season
                and driver_seasons.driver_id = summaries.driver_id
        order by
            driver_seasons.season desc,
            summaries.championship_position nulls last,
            drivers.driver_code,
            driver_seasons.driver_id
        """
    )


def season_rounds(marts: Marts, season: int) -> list[Row]:
    """driver_season_rounds of the season: by driver, round, the sprint before the Grand Prix."""
    return marts.rows(
        """
        select *
        from marts.driver_season_rounds
        where season = ?
        order by driver_id, round_number, case session_kind when 'sprint' then 1 else 2 end
        """,
        season,
    )


def season_standings(marts: Marts, season: int) -> list[Row]:
    """driver_standings of the season, by driver and round (his points and position after every round)."""
    return marts.rows(
        "select * from marts.driver_standings where season = ? order by driver_id, round",
        season,
    )


def season_summaries(marts: Marts, season: int) -> list[Row]:
    return marts.rows("select * from marts.driver_season_summary where season = ? order by driver_id", season)


def season_head_to_heads(marts: Marts, season: int) -> list[Row]:
    return marts.rows(
        """
        select *
        from marts.teammate_head_to_heads
        where season = ?
        order by driver_id, team_name, teammate_driver_id
        """,
        season,
    )


def season_pit_stops(marts: Marts, season: int) -> list[Row]:
    """The season's race and sprint pit stops (fct_pit_stops) with their round, in time order per driver."""
    return marts.rows(
        """
        select
            stops.*,
            meetings.round_number,
            meetings.meeting_name
        from marts.fct_pit_stops as stops
        inner join marts.dim_meetings as meetings
            on stops.meeting_key = meetings.meeting_key
        where
            stops.season = ?
            and stops.session_kind in ('race', 'sprint')
            and meetings.round_number is not null
            and stops.driver_id is not null
        order by stops.driver_id, meetings.round_number, stops.session_date, stops.pitted_at nulls last,
            stops.stop_number
        """,
        season,
    )


def champions(marts: Marts) -> list[Row]:
    """season_champions, the newest season first."""
    return marts.rows("select * from marts.season_champions order by season desc")


def latest_podium(marts: Marts) -> list[Row]:
    """The top three of the newest season's latest classified Grand Prix (season_champions.latest_race_session_key)."""
    return marts.rows(
        """
        select
            results.*,
            meetings.meeting_name
        from marts.fct_session_results as results
        inner join marts.dim_meetings as meetings
            on results.meeting_key = meetings.meeting_key
        where
            results.session_key = (
                select champions.latest_race_session_key
                from marts.season_champions as champions
                order by champions.season desc
                limit 1
            )
            and results.classified_position <= 3
        order by results.classified_position
        """
    )


# ---- pages -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    path: str
    title: str
    context: dict[str, Any]


def _group(rows: list[Row], key: str = "driver_id") -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def points_chart(standings: list[Row], code: str, colour: str) -> Markup | None:
    """His championship points after every round from his first (driver_standings.points)."""
    points = [(row["round"], row["points"], row["position"]) for row in standings]
    return charts_drivers.points_chart(code, colour, points) if points else None


def grid_chart(rounds: list[Row]) -> Markup | None:
    """Grid slot and finishing position in each Grand Prix (driver_season_rounds, race rows)."""
    races = [
        charts_drivers.GridFinish(
            row["round_number"],
            row["meeting_name"],
            row["grid_position"],
            row["classified_position"],
            row["positions_gained"],
            row["result_class"],
        )
        for row in rounds
        if row["session_kind"] == "race"
    ]
    drawn = [race for race in races if race.grid is not None or race.finish is not None]
    return charts_drivers.grid_finish_chart(drawn) if drawn else None


def driver_pages(marts: Marts, colours: Colours, race_paths: dict[int, str]) -> Iterator[Page]:
    """Every driver page: one per row of :func:`driver_seasons`, season by season."""
    by_season = _group(driver_seasons(marts), "season")
    for season, drivers in by_season.items():
        rounds = _group(season_rounds(marts, season))
        standings = _group(season_standings(marts, season))
        summaries = {row["driver_id"]: row for row in season_summaries(marts, season)}
        head_to_heads = _group(season_head_to_heads(marts, season))
        stops = _group(season_pit_stops(marts, season))
        for driver in drivers:
            driver_id = driver["driver_id"]
            context = driver_context(
                driver,
                rounds.get(driver_id, []),
                standings.get(driver_id, []),
                summaries.get(driver_id),
                head_to_heads.get(driver_id, []),
                stops.get(driver_id, []),
                colours,
                race_paths,
            )
            title = f"{driver['full_name'] or driver['driver_code'] or driver_id} · {season}"
            yield Page(str(driver_path(season, driver_id)), title, context)


def driver_context(
    driver: Row,
    rounds: list[Row],
    standings: list[Row],
    summary: Row | None,
    head_to_heads: list[Row],
    stops: list[Row],
    colours: Colours,
    race_paths: dict[int, str],
) -> dict[str, Any]:
    season = driver["season"]
    for row in rounds:
        row["race_path"] = race_paths.get(row["session_key"])
        row["colour"] = colours.team(season, row["team_name"])
        row["teammate_path"] = driver_path(season, row["teammate_driver_id"])
        row["teammate_colour"] = row["colour"]
    for row in head_to_heads:
        row["colour"] = colours.team(season, row["team_name"])
        row["teammate_path"] = driver_path(season, row["teammate_driver_id"])
    for stop in stops:
        stop["race_path"] = race_paths.get(stop["session_key"])
    latest_team = standings[-1]["latest_team_name"] if standings else (rounds[-1]["team_name"] if rounds else None)
    colour = colours.team(season, latest_team)
    code = driver["driver_code"] or driver["driver_id"]
    return {
        "season": season,
        "driver": driver,
        "team_name": latest_team,
        "colour": colour,
        "summary": summary,
        "rounds": rounds,
        "standings": standings,
        "head_to_heads": head_to_heads,
        "pit_stops": stops,
        "points_chart": points_chart(standings, code, colour),
        "grid_chart": grid_chart(rounds),
        "season_path": season_path(season) if standings else None,
    }


# ---- index -------------------------------------------------------------------------------------------------------
def index_additions(marts: Marts, colours: Colours) -> dict[str, Any]:
    """The index's champions (or leaders), the latest Grand Prix's podium and each season's driver pages."""
    seasons = champions(marts)
    for row in seasons:
        row["driver_path"] = driver_path(row["season"], row["drivers_leader_driver_id"])
        row["season_path"] = season_path(row["season"])
        row["driver_colour"] = colours.team(row["season"], row["drivers_leader_team_name"])
        row["team_colour"] = colours.team(row["season"], row["constructors_leader_team_name"])
    podium = latest_podium(marts)
    for row in podium:
        row["driver_path"] = driver_path(row["season"], row["driver_id"])
        row["colour"] = colours.team(row["season"], row["team_name"])
        row["race_path"] = race_path(row)
    drivers = driver_seasons(marts)
    for row in drivers:
        row["path"] = driver_path(row["season"], row["driver_id"])
    return {"champions": seasons, "podium": podium, "driver_pages": _group(drivers, "season")}
