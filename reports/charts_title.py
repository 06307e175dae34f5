"""The title-fight chart: each contender's gap to the leader against the points still available, round by round.

Plain data in, inline SVG out (``reports/svg.py``), drawing exactly the values it is given (the mart's
``gap_to_leader_points``, ``points_still_available`` and ``can_still_win``): a contender whose line rises above the
points-still-available line can no longer win. Each drawn line carries ``data-key`` (the contender) and
``data-values`` (``round:gap:1`` where he can still win, ``round:gap:0`` where he cannot) so tests can compare the
chart with the mart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from reports.svg import (
    INK,
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

AVAILABLE_KEY = "points-still-available"


@dataclass(frozen=True)
class GapPoint:
    round: int
    gap_to_leader_points: float
    can_still_win: bool


@dataclass(frozen=True)
class ContenderLine:
    key: str  # the contender_id (driver_id or team name)
    label: str  # driver code or team name, written at the line's end
    colour: str
    points: Sequence[GapPoint]
    dash: str | None = None
    description: str = ""


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label y positions in the order given (wanted ascending), at least ``gap`` apart and within [low, high]."""
    placed: list[float] = []
    for y in wanted:
        placed.append(max(y, low, placed[-1] + gap if placed else low))
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:  # pull them back up, keeping the gaps
        placed = [max(y - overflow, low) for y in placed]
    return placed


def title_chart(
    contenders: Sequence[ContenderLine],
    available: Sequence[tuple[int, float]],
    chart_id: str,
    championship_label: str,
) -> Markup:
    """Gap to the leader (points, up) by round; the points still available as a thick dark dashed line.

    Dots are filled while the contender can still win, hollow once he cannot.
    """
    rounds = [r for r, _ in available] + [p.round for c in contenders for p in c.points] or [1, 2]
    values = [v for _, v in available] + [p.gap_to_leader_points for c in contenders for p in c.points] or [0.0, 1.0]
    longest = max((len(c.label) for c in contenders), default=3)
    frame = Frame(width=900, height=380, left=52, right=min(20 + 7 * longest, 170), top=12, bottom=56)
    x_scale = Scale(min(rounds), max(max(rounds), min(rounds) + 1), frame.x0, frame.x1)
    _, y_high = padded(values, 0.03, floor=0)
    y_scale = Scale(0.0, y_high, frame.y1, frame.y0)
    parts = [
        x_axis(frame, x_scale, sorted(set(rounds)), "After round"),
        y_axis(frame, y_scale, nice_ticks(0.0, y_high, 6), "Points behind the leader"),
    ]
    available_values = ",".join(f"{r}:{number(v)}" for r, v in available)
    parts.append(
        element(
            "g",
            None,
            title(f"Points still available to any one {championship_label} after each round"),
            polyline(
                [(x_scale(r), y_scale(v)) for r, v in available],
                stroke=INK,
                stroke_width=3,
                stroke_dasharray="8 4",
                class_="series available",
                data_key=AVAILABLE_KEY,
                data_values=available_values,
            ),
        )
    )
    ends = sorted(
        ((y_scale(line.points[-1].gap_to_leader_points) + 4, line.key) for line in contenders if line.points),
    )
    label_y = dict(
        zip([key for _, key in ends], _spread([y for y, _ in ends], 12, frame.y0 + 8, frame.y1 + 4), strict=True)
    )
    for line in contenders:
        if not line.points:
            continue
        data = ",".join(f"{p.round}:{number(p.gap_to_leader_points)}:{_flag(p.can_still_win)}" for p in line.points)
        shapes = [
            title(line.description or line.label),
            polyline(
                [(x_scale(p.round), y_scale(p.gap_to_leader_points)) for p in line.points],
                stroke=line.colour,
                stroke_width=2,
                stroke_dasharray=line.dash,
                stroke_linejoin="round",
            ),
        ]
        for point in line.points:
            shapes.append(
                element(
                    "circle",
                    {
                        "cx": x_scale(point.round),
                        "cy": y_scale(point.gap_to_leader_points),
                        "r": 3,
                        "fill": line.colour if point.can_still_win else "#fff",
                        "stroke": line.colour,
                        "stroke_width": 1.5,
                    },
                )
            )
        last = line.points[-1]
        shapes.append(
            label(
                x_scale(last.round) + 6,
                label_y[line.key],
                line.label,
                font_weight=600,
                stroke="#fff",
                stroke_width=3,
                paint_order="stroke",
            )
        )
        parts.append(element("g", {"class": "series", "data-key": line.key, "data-values": data}, *shapes))
    legend_y = frame.height - 6
    parts.append(
        element(
            "g",
            {"class": "legend"},
            element(
                "line",
                {
                    "x1": frame.x0,
                    "y1": legend_y - 4,
                    "x2": frame.x0 + 26,
                    "y2": legend_y - 4,
                    "stroke": INK,
                    "stroke_width": 3,
                    "stroke_dasharray": "8 4",
                },
            ),
            label(frame.x0 + 32, legend_y, "points still available (above it: out)", fill=MUTED),
            element("circle", {"cx": frame.x0 + 290, "cy": legend_y - 4, "r": 3, "fill": MUTED, "stroke": MUTED}),
            label(frame.x0 + 298, legend_y, "can still win", fill=MUTED),
            element("circle", {"cx": frame.x0 + 390, "cy": legend_y - 4, "r": 3, "fill": "#fff", "stroke": MUTED}),
            label(frame.x0 + 398, legend_y, "cannot", fill=MUTED),
        )
    )
    return svg(
        frame,
        f"Title fight: each {championship_label}'s gap to the leader against the points still available",
        chart_id,
        *parts,
        min_width=640,
    )
