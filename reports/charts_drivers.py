"""A driver page's charts as inline SVG (``reports/svg.py``): his points after each round, his grid and finish.

Each function draws exactly the values it is given (mart columns): nothing is summed or differenced here. Drawn
series carry ``class="series"``, ``data-key`` and ``data-values`` so tests compare a chart with its mart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from reports.svg import (
    MUTED,
    Frame,
    Scale,
    element,
    label,
    nice_ticks,
    number,
    padded,
    polyline,
    svg,
    title,
    x_axis,
    y_axis,
)

GAINED = "#2e9d3a"
LOST = "#e10600"
LEVEL = MUTED


@dataclass(frozen=True)
class GridFinish:
    """One Grand Prix: his grid slot, finishing position and places gained (driver_season_rounds)."""

    round_number: int
    meeting_name: str | None
    grid: int | None
    finish: int | None
    positions_gained: int | None
    result_class: str | None


def points_chart(code: str, colour: str, points: Sequence[tuple[int, float, int | None]]) -> Markup:
    """Championship points after each round as a line (``points``: round, points, position), the position
    after the round written above each point."""
    frame = Frame(width=900, height=300, left=52, right=24, top=22, bottom=40)
    rounds = [float(round_number) for round_number, _, _ in points]
    values = [float(value) for _, value, _ in points]
    x_scale = Scale(min(rounds) - 0.5, max(rounds) + 0.5, frame.x0, frame.x1)
    y_low, y_high = padded(values, 0.05, floor=0)
    y_scale = Scale(y_low, y_high, frame.y1, frame.y0)
    parts = [
        x_axis(frame, x_scale, rounds, "Round", lambda value: number(value)),
        y_axis(frame, y_scale, nice_ticks(y_low, y_high, 6), "Points"),
    ]
    pixels = [(x_scale(x), y_scale(y)) for x, y in zip(rounds, values, strict=True)]
    data = ",".join(f"{round_number}:{number(float(value))}" for round_number, value, _ in points)
    line = polyline(
        pixels, stroke=colour, stroke_width=2, stroke_linejoin="round", class_="series", data_key=code, data_values=data
    )
    parts.append(element("g", None, title(f"{code}: championship points after each round"), line))
    marks = []
    for (round_number, value, position), (x, y) in zip(points, pixels, strict=True):
        tip = title(f"Round {round_number}: {number(float(value))} points, P{position if position else '?'}")
        marks.append(element("circle", {"cx": x, "cy": y, "r": 3, "fill": colour}, tip))
        if position:
            marks.append(label(x, y - 7, f"P{position}", text_anchor="middle", fill=MUTED, font_size=9))
    parts.append(element("g", {"class": "marks"}, *marks))
    return svg(frame, f"{code}: championship points after each round", "driver-points-chart", *parts, min_width=560)


def grid_finish_chart(races: Sequence[GridFinish]) -> Markup:
    """Grid slot (hollow) and finish (filled) per Grand Prix, joined by a bar: green when he gained places, red
    when he lost them; a retirement has no finish mark (its class is in the tooltip). P1 at the top."""
    frame = Frame(width=900, height=320, left=52, right=24, top=14, bottom=40)
    positions = [value for race in races for value in (race.grid, race.finish) if value is not None] or [1]
    deepest = max(max(positions), 2)
    x_scale = Scale(0.5, len(races) + 0.5, frame.x0, frame.x1)
    y_scale = Scale(1, deepest + 1, frame.y0 + 6, frame.y1 - 6)  # a row below the deepest for retirements
    ticks = [float(index) for index in range(1, len(races) + 1)]
    names = {float(index): str(race.round_number) for index, race in enumerate(races, start=1)}
    y_ticks = [tick for tick in nice_ticks(1, deepest, 6) if tick >= 1 and tick == int(tick)]
    parts = [
        x_axis(frame, x_scale, ticks, "Grand Prix (round)", lambda value: names.get(value, ""), grid=False),
        y_axis(frame, y_scale, y_ticks, "Position"),
    ]
    bars, grid_marks, finish_marks = [], [], []
    for index, race in enumerate(races, start=1):
        x = x_scale(index)
        gained = race.positions_gained
        shade = LEVEL if gained is None or gained == 0 else (GAINED if gained > 0 else LOST)
        where = f"Round {race.round_number} {race.meeting_name or ''}".strip()
        if race.grid is not None and race.finish is not None:
            bars.append(
                element(
                    "line",
                    {
                        "x1": x,
                        "y1": y_scale(race.grid),
                        "x2": x,
                        "y2": y_scale(race.finish),
                        "stroke": shade,
                        "stroke_width": 4,
                        "stroke_linecap": "round",
                    },
                )
            )
        if race.grid is not None:
            grid_marks.append(
                element(
                    "circle",
                    {"cx": x, "cy": y_scale(race.grid), "r": 4.5, "fill": "#fff", "stroke": shade, "stroke_width": 2},
                    title(f"{where}: started P{race.grid}"),
                )
            )
        if race.finish is not None:
            finish_marks.append(
                element(
                    "circle",
                    {"cx": x, "cy": y_scale(race.finish), "r": 4.5, "fill": shade},
                    title(f"{where}: finished P{race.finish} ({_signed(gained)} places)"),
                )
            )
        else:
            finish_marks.append(
                label(x, y_scale(deepest + 1) + 3, race.result_class or "—", text_anchor="middle", fill=LOST)
            )
    grid_values = ",".join(f"{race.round_number}:{race.grid}" for race in races if race.grid is not None)
    finish_values = ",".join(f"{race.round_number}:{race.finish}" for race in races if race.finish is not None)
    parts.append(element("g", {"class": "bars"}, *bars) if bars else "")
    parts.append(element("g", {"class": "series", "data-key": "grid", "data-values": grid_values}, *grid_marks))
    parts.append(element("g", {"class": "series", "data-key": "finish", "data-values": finish_values}, *finish_marks))
    return svg(frame, "Grid slot and finishing position in each Grand Prix", "grid-finish-chart", *parts, min_width=560)


def _signed(value: int | None) -> str:
    if value is None:
        return "?"
    return f"+{value}" if value > 0 else str(value)
