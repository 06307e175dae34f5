"""Small SVG building blocks: elements with escaping, linear scales with round ticks, axes.

Charts are plain strings of SVG markup built offline (no browser, no network, no JavaScript); ``charts.py``
composes them from these pieces. Every chart is an ``<svg class="chart">`` with a ``viewBox``, so it scales
with the page; the CSS gives it a minimum width and lets the page scroll sideways on a phone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
INK = "#15151e"
MUTED = "#6b6b7b"
GRID = "#e4e4ea"


def number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: 12.50 -> '12.5'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def element(tag: str, attributes: dict[str, object] | None = None, *children: str) -> str:
    """``<tag a="v">children</tag>``; attribute values are escaped, ``None`` values are left out.

    Children are markup already (build text with :func:`text`); underscores in attribute names become dashes
    (``stroke_width`` -> ``stroke-width``).
    """
    parts = [tag]
    for name, value in (attributes or {}).items():
        if value is None or value is False:
            continue
        if isinstance(value, float):
            value = number(value)
        parts.append(f'{name.rstrip("_").replace("_", "-")}="{escape(str(value), quote=True)}"')
    opening = " ".join(parts)
    if not children:
        return f"<{opening}/>"
    return f"<{opening}>{''.join(children)}</{tag}>"


def text(content: object) -> str:
    """Escaped text content."""
    return escape(str(content), quote=False)


def title(content: str) -> str:
    """A ``<title>``: the tooltip of its parent element and its accessible name."""
    return element("title", None, text(content))


@dataclass(frozen=True)
class Scale:
    """A linear map from a data domain onto a pixel range (the range may run backwards)."""

    domain_min: float
    domain_max: float
    range_min: float
    range_max: float

    def __call__(self, value: float) -> float:
        span = self.domain_max - self.domain_min
        if span == 0:
            return (self.range_min + self.range_max) / 2
        return self.range_min + (value - self.domain_min) / span * (self.range_max - self.range_min)

    def ticks(self, count: int = 6) -> list[float]:
        return nice_ticks(self.domain_min, self.domain_max, count)


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten, about ``count`` of them) within [low, high]."""
    if high < low:
        low, high = high, low
    if high == low:
        return [low]
    raw_step = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    ratio = raw_step / magnitude
    # the multiplier nearest the raw step on a log scale (the thresholds are the geometric midpoints)
    step = magnitude * (
        10 if ratio >= math.sqrt(50) else 5 if ratio >= math.sqrt(10) else 2 if ratio >= math.sqrt(2) else 1
    )
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def padded(values: Iterable[float], fraction: float = 0.05, floor: float | None = None) -> tuple[float, float]:
    """The extent of ``values`` widened by ``fraction`` on both sides (and never below ``floor``)."""
    items = list(values)
    if not items:
        return (0.0, 1.0)
    low, high = min(items), max(items)
    margin = (high - low) * fraction or abs(high) * fraction or 1.0
    low, high = low - margin, high + margin
    if floor is not None:
        low = max(low, floor)
    return (low, high)


@dataclass(frozen=True)
class Frame:
    """The drawing area of a chart: the SVG's size and the margins around the plot."""

    width: float
    height: float
    left: float = 48
    right: float = 16
    top: float = 12
    bottom: float = 32

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:
        return self.top

    @property
    def y1(self) -> float:
        return self.height - self.bottom


def svg(frame: Frame, label: str, chart_id: str, *children: str, min_width: int | None = None) -> Markup:
    """The outer ``<svg>`` of a chart, labelled for screen readers; ``min_width`` in CSS pixels."""
    style = f"min-width:{min_width}px" if min_width else None
    return Markup(
        element(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "class": "chart",
                "id": chart_id,
                "viewBox": f"0 0 {number(frame.width)} {number(frame.height)}",
                "role": "img",
                "aria-label": label,
                "font-family": FONT,
                "font-size": 11,
                "style": style,
            },
            title(label),
            *children,
        )
    )


def label(x: float, y: float, content: object, **attributes: object) -> str:
    """A text label at (x, y); keyword attributes as in :func:`element` (``text_anchor="end"``)."""
    return element("text", {"x": float(x), "y": float(y), "fill": INK, **attributes}, text(content))


def x_axis(
    frame: Frame, scale: Scale, ticks: Sequence[float], caption: str, fmt: object = number, grid: bool = True
) -> str:
    """Ticks, labels and vertical grid lines along the bottom of the plot, with a caption."""
    parts = []
    for tick in ticks:
        x = scale(tick)
        if grid:
            parts.append(element("line", {"x1": x, "y1": frame.y0, "x2": x, "y2": frame.y1, "stroke": GRID}))
        parts.append(label(x, frame.y1 + 14, fmt(tick), text_anchor="middle", fill=MUTED))  # type: ignore[operator]
    parts.append(label((frame.x0 + frame.x1) / 2, frame.y1 + 28, caption, text_anchor="middle", fill=MUTED))
    parts.append(element("line", {"x1": frame.x0, "y1": frame.y1, "x2": frame.x1, "y2": frame.y1, "stroke": MUTED}))
    return element("g", {"class": "axis x"}, *parts)


def y_axis(frame: Frame, scale: Scale, ticks: Sequence[float], caption: str, fmt: object = number) -> str:
    """Ticks, labels and horizontal grid lines along the left of the plot, with a rotated caption."""
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(element("line", {"x1": frame.x0, "y1": y, "x2": frame.x1, "y2": y, "stroke": GRID}))
        parts.append(label(frame.x0 - 6, y + 4, fmt(tick), text_anchor="end", fill=MUTED))  # type: ignore[operator]
    middle = (frame.y0 + frame.y1) / 2
    if caption:
        parts.append(
            label(12, middle, caption, text_anchor="middle", fill=MUTED, transform=f"rotate(-90 12 {number(middle)})")
        )
    return element("g", {"class": "axis y"}, *parts)


def polyline(points: Sequence[tuple[float, float]], **attributes: object) -> str:
    """An open polyline through pixel points."""
    coordinates = " ".join(f"{number(x)},{number(y)}" for x, y in points)
    return element("polyline", {"points": coordinates, "fill": "none", **attributes})
