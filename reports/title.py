"""The season page's "Title fight" section: SELECTs from the championship marts and the context they make.

``championship_title_fight`` says, after every classified round, who can still win each title (and by how many
points each trails the leader against the points still available); ``championship_title_deciders`` says where each
title was decided and who won it. Nothing here counts or compares: the page shows those columns as selected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from reports import (
    charts_title,
    pages,  # the season page calls this module: attributes read at call time (no import cycle)
)
from reports.queries import Marts, Row

if TYPE_CHECKING:
    from reports.pages import Colours

CHAMPIONSHIPS = (("drivers", "Drivers' title", "driver"), ("constructors", "Constructors' title", "team"))
# the chart draws the contenders this high in the standings after the latest round, and any other contender who
# can still win then (early in a season nearly everyone can: twenty lines would hide the fight)
CHART_TOP_POSITIONS = 5


def has_title_marts(marts: Marts) -> bool:
    return marts.has_column("championship_title_fight", "can_still_win") and marts.has_column(
        "championship_title_deciders", "decided_round"
    )


def title_fight_rows(marts: Marts, season: int) -> list[Row]:
    """Every contender after every classified round (championship_title_fight), with the round's Grand Prix."""
    return marts.rows(
        """
        select
            fight.*,
            meetings.meeting_name
        from marts.championship_title_fight as fight
        left join marts.dim_meetings as meetings
            on
                fight.season = meetings.season
                and fight.round = meetings.round_number
        where fight.season = ?
        order by fight.championship, fight.round, fight.position, fight.contender_id
        """,
        season,
    )


def title_deciders(marts: Marts, season: int) -> list[Row]:
    """Where each title was decided and its champion (championship_title_deciders), with the round's Grand Prix."""
    return marts.rows(
        """
        select
            deciders.*,
            meetings.meeting_name as decided_meeting_name,
            fight.points as champion_points
        from marts.championship_title_deciders as deciders
        left join marts.dim_meetings as meetings
            on
                deciders.season = meetings.season
                and deciders.decided_round = meetings.round_number
        left join marts.championship_title_fight as fight
            on
                deciders.season = fight.season
                and deciders.championship = fight.championship
                and deciders.latest_round = fight.round
                and deciders.champion_id = fight.contender_id
        where deciders.season = ?
        order by deciders.championship
        """,
        season,
    )


def _rounds(rows: list[Row]) -> list[dict[str, Any]]:
    """One entry per round: its Grand Prix, the points still available and the contenders who can still win."""
    rounds: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = rounds.setdefault(
            row["round"],
            {
                "round": row["round"],
                "meeting_name": row["meeting_name"],
                "points_still_available": row["points_still_available"],
                "remaining_rounds": row["remaining_rounds"],
                "contenders_able_to_win": row["contenders_able_to_win"],
                "contenders": [],
            },
        )
        if row["can_still_win"]:
            entry["contenders"].append(row)
    return list(rounds.values())


def _chart(rows: list[Row], key: str, noun: str, colours: Colours, season: int) -> Markup | None:
    latest = [row for row in rows if row["is_latest_round"]]
    drawn = [row for row in latest if row["position"] <= CHART_TOP_POSITIONS or row["can_still_win"]]
    if not drawn:
        return None
    dashes = colours.dashes((row["contender_id"], row["team_name"]) for row in drawn) if key == "drivers" else {}
    by_contender: dict[str, list[Row]] = {}
    for row in rows:
        by_contender.setdefault(row["contender_id"], []).append(row)
    lines = [
        charts_title.ContenderLine(
            row["contender_id"],
            row["driver_code"] or row["contender_name"],
            colours.team(season, row["team_name"]),
            [
                charts_title.GapPoint(point["round"], float(point["gap_to_leader_points"]), point["can_still_win"])
                for point in by_contender[row["contender_id"]]
            ],
            dashes.get(row["contender_id"]),
            f"{row['contender_name']} ({row['team_name'] or '?'})",
        )
        for row in drawn
    ]
    available = {row["round"]: float(row["points_still_available"]) for row in rows}
    return charts_title.title_chart(lines, sorted(available.items()), f"title-chart-{key}", noun)


def title_context(marts: Marts, season: int, colours: Colours) -> dict[str, Any]:
    """The section's context: per championship, the decider, the rounds and the chart ({} without the marts)."""
    if not has_title_marts(marts):
        return {"championships": [], "has_marts": False}
    rows = title_fight_rows(marts, season)
    for row in rows:
        row["colour"] = colours.team(season, row["team_name"])
        row["driver_path"] = pages.driver_path(season, row["driver_id"])
    deciders = {row["championship"]: row for row in title_deciders(marts, season)}
    for decider in deciders.values():
        decider["colour"] = colours.team(season, decider["champion_team_name"])
        decider["driver_path"] = pages.driver_path(season, decider["champion_driver_id"])
    championships = []
    for key, heading, noun in CHAMPIONSHIPS:
        fight = [row for row in rows if row["championship"] == key]
        if not fight:
            continue
        championships.append(
            {
                "key": key,
                "heading": heading,
                "decider": deciders.get(key),
                "rounds": _rounds(fight),
                "chart": _chart(fight, key, noun, colours, season),
            }
        )
    return {"championships": championships, "has_marts": True}
