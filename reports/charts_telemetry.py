"""Telemetry pictures as inline SVG: speed traces with throttle, brake, gear and the running delta beneath, and
track maps drawn from OpenF1's x/y (track dominance by mini-sector, one lap by speed).

Like ``charts.py``, each function draws exactly the values it is given (rows of the telemetry marts, arranged by
``reports/telemetry.py``): drawn series carry ``data-key`` and ``data-values`` so tests can compare a chart with
its mart. Map coordinates are OpenF1's x/y scaled into the frame (north up as OpenF1 draws it: SVG y runs down,
so y is flipped); pixel coordinates are rounded to one decimal to keep the page small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from reports.svg import (
    GRID,
    INK,
    MUTED,
    Frame,
    Scale,
    element,
    label,
    nice_ticks,
    number,
    padded,
    svg,
    title,
    x_axis,
)

# speed bands of the speed map (km/h, lower edges) and their colours, slow (dark blue) to fast (yellow)
SPEED_BANDS: tuple[tuple[float, str], ...] = (
    (0, "#3b0f70"),
    (100, "#5c3c9c"),
    (150, "#2f7fb8"),
    (200, "#21a685"),
    (250, "#7fcf4a"),
    (300, "#f3e51e"),
)
NO_SPEED_COLOUR = INK


def _coordinate(value: float) -> str:
    """A pixel coordinate with at most one decimal (fast: a lap has hundreds of points a line)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _data(value: float) -> str:
    """A data-values entry, as ``svg.number`` writes it (integers, the channels' type, without formatting)."""
    return str(value) if isinstance(value, int) else number(value)


def _polyline(pixels: Sequence[tuple[float, float]], **attributes: object) -> str:
    points = " ".join(f"{_coordinate(x)},{_coordinate(y)}" for x, y in pixels)
    return element("polyline", {"points": points, "fill": "none", **attributes})


# ---- speed trace ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TraceSample:
    distance_m: float
    speed_kph: float | None
    throttle_pct: float | None
    brake_pct: float | None
    gear: float | None


@dataclass(frozen=True)
class Trace:
    """One driver's fastest lap along its distance."""

    key: str  # the driver code: the series' data-key
    label: str
    colour: str
    dash: str | None
    samples: Sequence[TraceSample]


@dataclass(frozen=True)
class DeltaLine:
    """A compared lap's running time delta to the reference lap, along the common distance grid."""

    key: str
    label: str
    colour: str
    dash: str | None
    points: Sequence[tuple[float, float]]  # (distance_m, delta_s)


@dataclass(frozen=True)
class _Panel:
    name: str
    caption: str
    height: float
    attribute: str
    low: float
    high: float
    ticks: Sequence[float] = field(default_factory=tuple)


def trace_chart(
    traces: Sequence[Trace],
    deltas: Sequence[DeltaLine],
    reference_label: str,
    chart_id: str = "telemetry-trace",
) -> Markup:
    """Speed against distance along the lap, with throttle, brake, gear and the running delta beneath."""
    speeds = [s.speed_kph for t in traces for s in t.samples if s.speed_kph is not None] or [0.0, 350.0]
    speed_low, speed_high = padded(speeds, 0.04, floor=0)
    delta_values = [d for line in deltas for _, d in line.points] + [0.0]
    delta_low, delta_high = padded(delta_values, 0.08)
    panels = [
        _Panel("speed", "Speed km/h", 230, "speed_kph", speed_low, speed_high, nice_ticks(speed_low, speed_high, 6)),
        _Panel("throttle", "Throttle %", 64, "throttle_pct", 0, 100, (0, 100)),
        _Panel("brake", "Brake", 40, "brake_pct", 0, 100, ()),
        _Panel("gear", "Gear", 72, "gear", 1, 8, (2, 4, 6, 8)),
        _Panel(
            "delta", f"Δ to {reference_label} s", 120, "", delta_low, delta_high, nice_ticks(delta_low, delta_high, 4)
        ),
    ]
    gap = 10
    top = 12
    total = top + sum(panel.height + gap for panel in panels) + 34
    frame = Frame(width=900, height=total, left=64, right=16, top=top, bottom=34)
    distances = [s.distance_m for t in traces for s in t.samples] + [x for line in deltas for x, _ in line.points]
    x_scale = Scale(0, max(distances, default=1.0), frame.x0, frame.x1)
    x_ticks = nice_ticks(0, max(distances, default=1.0), 10)
    parts: list[str] = []
    y = float(top)
    for panel in panels:
        y0, y1 = y, y + panel.height
        y_scale = Scale(panel.low, panel.high, y1, y0)
        panel_parts = [
            element(
                "rect",
                {
                    "x": frame.x0,
                    "y": y0,
                    "width": frame.x1 - frame.x0,
                    "height": panel.height,
                    "fill": "none",
                    "stroke": GRID,
                },
            )
        ]
        for tick in panel.ticks:
            ty = y_scale(tick)
            panel_parts.append(element("line", {"x1": frame.x0, "y1": ty, "x2": frame.x1, "y2": ty, "stroke": GRID}))
            panel_parts.append(label(frame.x0 - 6, ty + 4, number(tick), text_anchor="end", fill=MUTED))
        middle = (y0 + y1) / 2
        panel_parts.append(
            label(
                14,
                middle,
                panel.caption,
                text_anchor="middle",
                fill=MUTED,
                font_size=10,
                transform=f"rotate(-90 14 {number(middle)})",
            )
        )
        if panel.name == "delta":
            zero = y_scale(0)
            panel_parts.append(
                element("line", {"x1": frame.x0, "y1": zero, "x2": frame.x1, "y2": zero, "stroke": MUTED})
            )
            for line in deltas:
                values = ",".join(f"{_data(x)}:{_data(d)}" for x, d in line.points)
                pixels = [(x_scale(x), y_scale(d)) for x, d in line.points]
                panel_parts.append(
                    element(
                        "g",
                        None,
                        title(f"{line.label}: time behind {reference_label} along the lap"),
                        _polyline(
                            pixels,
                            stroke=line.colour,
                            stroke_width=1.6,
                            stroke_dasharray=line.dash,
                            class_="series delta",
                            data_key=f"delta:{line.key}",
                            data_values=values,
                        ),
                    )
                )
        else:
            for trace in traces:
                drawn = [(s.distance_m, getattr(s, panel.attribute)) for s in trace.samples]
                drawn = [(x, v) for x, v in drawn if v is not None]
                if not drawn:
                    continue
                values = ",".join(f"{_data(x)}:{_data(v)}" for x, v in drawn)
                pixels = [(x_scale(x), y_scale(v)) for x, v in drawn]
                panel_parts.append(
                    element(
                        "g",
                        None,
                        title(f"{trace.label}: {panel.caption}"),
                        _polyline(
                            pixels,
                            stroke=trace.colour,
                            stroke_width=1.4 if panel.name != "speed" else 1.8,
                            stroke_dasharray=trace.dash,
                            stroke_linejoin="round",
                            class_=f"series {panel.name}",
                            data_key=f"{panel.name}:{trace.key}",
                            data_values=values,
                        ),
                    )
                )
        parts.append(element("g", {"class": f"panel {panel.name}"}, *panel_parts))
        y = y1 + gap
    axis_frame = Frame(
        width=frame.width, height=frame.height, left=frame.left, right=frame.right, top=y - gap, bottom=frame.bottom
    )
    parts.append(x_axis(axis_frame, x_scale, x_ticks, "Distance along the lap (m)", grid=False))
    legend, lx = [], frame.x0
    for trace in traces:
        legend.append(
            element(
                "line",
                {
                    "x1": lx,
                    "y1": 6,
                    "x2": lx + 18,
                    "y2": 6,
                    "stroke": trace.colour,
                    "stroke_width": 2.5,
                    "stroke_dasharray": trace.dash,
                },
            )
        )
        legend.append(label(lx + 22, 9, trace.label, fill=INK, font_size=10))
        lx += 30 + 6 * len(trace.label)
    parts.insert(0, element("g", {"class": "legend"}, *legend))
    return svg(
        frame,
        "Fastest laps compared: speed, throttle, brake, gear and the time delta along the lap",
        chart_id,
        *parts,
        min_width=640,
    )


# ---- track maps ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapSegment:
    """A stretch of the track drawn in one colour: a mini-sector, or a run of samples in one speed band."""

    key: str
    colour: str
    points: Sequence[tuple[float, float]]  # OpenF1 x/y
    description: str
    values: str = ""  # data-values: what the colour stands for (a driver code, speeds)
    dash: str | None = None


@dataclass(frozen=True)
class Corner:
    number: int
    x: float
    y: float
    description: str


@dataclass(frozen=True)
class MapFit:
    """OpenF1 x/y onto a square-ish frame with one scale for both axes (the map keeps its shape)."""

    frame: Frame
    x_min: float
    y_max: float
    scale: float
    offset_x: float
    offset_y: float

    @classmethod
    def of(cls, points: Sequence[tuple[float, float]], frame: Frame) -> MapFit:
        xs = [x for x, _ in points] or [0.0, 1.0]
        ys = [y for _, y in points] or [0.0, 1.0]
        width, height = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
        scale = min((frame.x1 - frame.x0) / width, (frame.y1 - frame.y0) / height)
        offset_x = frame.x0 + ((frame.x1 - frame.x0) - width * scale) / 2
        offset_y = frame.y0 + ((frame.y1 - frame.y0) - height * scale) / 2
        return cls(frame, min(xs), max(ys), scale, offset_x, offset_y)

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        return (self.offset_x + (x - self.x_min) * self.scale, self.offset_y + (self.y_max - y) * self.scale)


def speed_colour(speed_kph: float | None) -> str:
    """The colour of a speed on the speed map (its band's)."""
    if speed_kph is None:
        return NO_SPEED_COLOUR
    colour = SPEED_BANDS[0][1]
    for low, band_colour in SPEED_BANDS:
        if speed_kph >= low:
            colour = band_colour
    return colour


def track_map(
    segments: Sequence[MapSegment],
    corners: Sequence[Corner],
    label_text: str,
    chart_id: str,
    legend: Sequence[tuple[str, str]] = (),
) -> Markup:
    """The track drawn from x/y in coloured stretches, the start/finish line marked, corners numbered."""
    frame = Frame(
        width=520, height=440 + (22 if legend else 0), left=26, right=26, top=26, bottom=26 + (22 if legend else 0)
    )
    fit = MapFit.of([p for segment in segments for p in segment.points], frame)
    centre = ((frame.x0 + frame.x1) / 2, (frame.y0 + frame.y1) / 2)
    parts: list[str] = []
    outline = [fit(x, y) for segment in segments for x, y in segment.points]
    if outline:  # a pale casing under the coloured stretches
        parts.append(_polyline(outline, stroke=GRID, stroke_width=7, stroke_linejoin="round", stroke_linecap="round"))
    for segment in segments:
        pixels = [fit(x, y) for x, y in segment.points]
        parts.append(
            element(
                "g",
                None,
                title(segment.description),
                _polyline(
                    pixels,
                    stroke=segment.colour,
                    stroke_width=4,
                    stroke_linejoin="round",
                    stroke_linecap="round",
                    stroke_dasharray=segment.dash,
                    class_="series segment",
                    data_key=segment.key,
                    data_values=segment.values or None,
                ),
            )
        )
    if outline:
        sx, sy = outline[0]
        parts.append(
            element(
                "g",
                {"class": "start"},
                title("Start/finish line (where the lap starts)"),
                element(
                    "circle",
                    {"cx": round(sx, 1), "cy": round(sy, 1), "r": 5, "fill": "#fff", "stroke": INK, "stroke_width": 2},
                ),
            )
        )
    for corner in corners:
        cx, cy = fit(corner.x, corner.y)
        dx, dy = cx - centre[0], cy - centre[1]
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
        lx, ly = cx + dx / length * 13, cy + dy / length * 13
        parts.append(
            element(
                "g",
                {"class": "corner", "data-key": corner.number},
                title(corner.description),
                element(
                    "line",
                    {
                        "x1": round(cx, 1),
                        "y1": round(cy, 1),
                        "x2": round(lx, 1),
                        "y2": round(ly, 1),
                        "stroke": MUTED,
                        "stroke_width": 0.8,
                    },
                ),
                label(
                    round(lx, 1),
                    round(ly + 4, 1),
                    corner.number,
                    text_anchor="middle",
                    font_size=10,
                    font_weight=700,
                    stroke="#fff",
                    stroke_width=3,
                    paint_order="stroke",
                ),
            )
        )
    if legend:
        items, x = [], frame.x0
        for name, colour in legend:
            items.append(element("rect", {"x": x, "y": frame.height - 17, "width": 12, "height": 8, "fill": colour}))
            items.append(label(x + 16, frame.height - 9, name, fill=MUTED, font_size=10))
            x += 26 + 5.6 * len(name)
        parts.append(element("g", {"class": "legend"}, *items))
    return svg(frame, label_text, chart_id, *parts, min_width=300)


def speed_legend() -> list[tuple[str, str]]:
    """The speed map's bands as legend entries: '<100', '100-150', ..., '300+' km/h."""
    entries = []
    for index, (low, colour) in enumerate(SPEED_BANDS):
        high = SPEED_BANDS[index + 1][0] if index + 1 < len(SPEED_BANDS) else None
        name = (
            f"<{number(high)}" if low == 0 else (f"{number(low)}+" if high is None else f"{number(low)}–{number(high)}")
        )
        entries.append((name + (" km/h" if high is None else ""), colour))
    return entries
