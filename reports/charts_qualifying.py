"""The qualifying page's chart: each driver's gap to pole as a horizontal bar, in classification order.

Drawn from ``qualifying_session_results.gap_to_pole_s`` as selected (nothing computed here but pixel positions);
the knock-out lines of the classification are drawn across the bars where the phase reached changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from reports.svg import GRID, INK, MUTED, Frame, Scale, element, label, svg, title, x_axis

KNOCKOUT_COLOUR = "#e10600"


@dataclass(frozen=True)
class GapBar:
    """One driver's bar: ``key`` is his data-key (the driver code), ``gap_s`` the mart's gap to pole."""

    key: str
    label: str
    colour: str
    gap_s: float
    gap_pct: float | None
    line_above: str | None = None  # 'Q2' / 'Q1': the first car knocked out in that phase (a line above his bar)


def gap_to_pole_chart(bars: Sequence[GapBar], chart_id: str = "gap-to-pole-chart") -> Markup:
    """Gap to pole per driver, pole at the top; dashed red lines where the knock-out groups change."""
    row = 18
    frame = Frame(width=760, height=24 + row * len(bars) + 36, left=56, right=64, top=12, bottom=36)
    top_value = max((bar.gap_s for bar in bars), default=0.0) or 0.1
    x_scale = Scale(0, top_value * 1.05, frame.x0, frame.x1)
    parts = [x_axis(frame, x_scale, x_scale.ticks(6), "Seconds behind the pole time")]
    for index, bar in enumerate(bars):
        y = frame.y0 + 6 + index * row
        width = x_scale(bar.gap_s) - frame.x0
        pct = "" if bar.gap_pct is None else f" ({bar.gap_pct:.3f} %)"
        shapes = [
            title(f"{bar.label}: +{bar.gap_s:.3f} s{pct}"),
            element(
                "rect",
                {
                    "x": frame.x0,
                    "y": y,
                    "width": max(width, 1.5),
                    "height": row - 5,
                    "fill": bar.colour,
                    "stroke": INK,
                    "stroke_width": 0.4,
                },
            ),
        ]
        parts.append(element("g", {"class": "series", "data-key": bar.key, "data-values": f"{bar.gap_s:.3f}"}, *shapes))
        parts.append(label(frame.x0 - 6, y + row - 8, bar.label, text_anchor="end"))
        parts.append(label(frame.x0 + max(width, 1.5) + 4, y + row - 8, f"+{bar.gap_s:.3f}", fill=MUTED, font_size=10))
        if bar.line_above:
            line_y = y - 2.5
            parts.append(
                element(
                    "line",
                    {
                        "class": "knockout",
                        "x1": 4,
                        "y1": line_y,
                        "x2": frame.x1 + 60,
                        "y2": line_y,
                        "stroke": KNOCKOUT_COLOUR,
                        "stroke_dasharray": "5 3",
                        "stroke_width": 1.2,
                    },
                )
            )
            parts.append(
                label(frame.x1 + 60, line_y - 3, f"out in {bar.line_above}", text_anchor="end", fill=KNOCKOUT_COLOUR)
            )
    parts.append(element("line", {"x1": frame.x0, "y1": frame.y0, "x2": frame.x0, "y2": frame.y1, "stroke": GRID}))
    return svg(frame, "Gap to the pole time, seconds", chart_id, *parts, min_width=520)
