"""The report's charts as inline SVG, built from rows the marts hold (each chart only places them).

Every function takes plain data (the dataclasses below), returns ``Markup`` for a template and draws exactly the
values it is given: no chart sums, averages or differences anything. Drawn series carry ``data-key`` (a driver
code or team name) and ``data-values`` (the values plotted), so tests can compare a chart with its mart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    polyline,
    svg,
    title,
    x_axis,
    y_axis,
)

COMPOUND_COLOURS = {
    "SOFT": "#e8002d",
    "MEDIUM": "#ffd12e",
    "HARD": "#f0f0ec",
    "INTERMEDIATE": "#43b02a",
    "WET": "#0067ad",
}
UNKNOWN_COMPOUND = "#9a9aa5"
TRACK_STATUS_COLOURS = {
    "green": "#cdebd0",
    "yellow": "#ffd12e",
    "vsc": "#ffb566",
    "sc": "#ff8700",
    "red": "#e10600",
}
TRACK_STATUS_NAMES = {
    "green": "Green",
    "yellow": "Yellow",
    "vsc": "Virtual safety car",
    "sc": "Safety car",
    "red": "Red flag",
}
AIR_COLOUR = "#2d7dd2"
TRACK_COLOUR = "#e4572e"
RAIN_COLOUR = "#9ec9f5"
EPOCH = datetime(1970, 1, 1)  # weather times are naive UTC: seconds since this, free of the local zone


def compound_colour(compound: str | None) -> str:
    return COMPOUND_COLOURS.get((compound or "").upper(), UNKNOWN_COMPOUND)


def compound_letter(compound: str | None) -> str:
    return (compound or "?")[0].upper()


@dataclass(frozen=True)
class Series:
    """One line: a driver's positions by lap, or a driver's points by round."""

    key: str
    label: str
    colour: str
    points: Sequence[tuple[float, float]]
    dash: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Stint:
    first_lap: int
    last_lap: int
    compound: str | None
    description: str


@dataclass(frozen=True)
class StrategyRow:
    key: str
    label: str
    colour: str
    stints: Sequence[Stint]


@dataclass(frozen=True)
class PaceLap:
    lap_number: int
    duration_s: float
    compound: str | None


@dataclass(frozen=True)
class PaceRow:
    key: str
    label: str
    colour: str
    laps: Sequence[PaceLap]


@dataclass(frozen=True)
class PitBar:
    key: str
    label: str
    colour: str
    lap_number: int
    lane_duration_s: float | None
    stop_duration_s: float | None


@dataclass(frozen=True)
class RaceControlEvent:
    lap_number: int
    lane: str
    colour: str
    description: str


@dataclass(frozen=True)
class WeatherSample:
    recorded_at: datetime
    air_temperature_c: float | None
    track_temperature_c: float | None
    is_raining: bool | None


def _spread(positions: list[tuple[str, float]], gap: float, low: float, high: float) -> dict[str, float]:
    """Label y positions at least ``gap`` pixels apart within [low, high] (the gap shrinks if they cannot fit)."""
    ordered = sorted(positions, key=lambda item: item[1])
    if len(ordered) > 1:
        gap = min(gap, (high - low) / (len(ordered) - 1))
    placed = []
    for key, y in ordered:  # downwards: each label below the previous one
        placed.append([key, max(y, low, placed[-1][1] + gap if placed else low)])
    if placed and placed[-1][1] > high:  # upwards: pull the bottom ones back inside
        placed[-1][1] = high
        for index in range(len(placed) - 2, -1, -1):
            placed[index][1] = min(placed[index][1], placed[index + 1][1] - gap)
    return {str(key): float(y) for key, y in placed}


def _halo_label(x: float, y: float, content: str, **attributes: object) -> str:
    return label(x, y, content, stroke="#fff", stroke_width=3, paint_order="stroke", **attributes)


def _legend(frame: Frame, entries: Sequence[tuple[str, str]], y: float) -> str:
    parts, x = [], frame.x0
    for name, colour in entries:
        parts.append(element("rect", {"x": x, "y": y - 9, "width": 10, "height": 10, "fill": colour, "stroke": MUTED}))
        parts.append(label(x + 14, y, name, fill=MUTED))
        x += 22 + 6.5 * len(name)
    return element("g", {"class": "legend"}, *parts)


def _series_line(series: Series, x_scale: Scale, y_scale: Scale, values: str) -> str:
    pixels = [(x_scale(x), y_scale(y)) for x, y in series.points]
    line = polyline(
        pixels,
        stroke=series.colour,
        stroke_width=2,
        stroke_dasharray=series.dash,
        stroke_linejoin="round",
        class_="series",
        data_key=series.key,
        data_values=values,
    )
    return element("g", None, title(series.description or series.label), line)


def lap_chart(series: Sequence[Series], drivers: int, chart_id: str = "lap-chart") -> Markup:
    """Position by lap (lap 0 is the grid): one line per driver, P1 at the top, codes at both ends."""
    laps = max((x for s in series for x, _ in s.points), default=1)
    frame = Frame(width=900, height=50 + 18 * max(drivers, 2), left=64, right=46, top=10, bottom=40)
    x_scale = Scale(0, laps, frame.x0, frame.x1)
    y_scale = Scale(1, max(drivers, 2), frame.y0 + 4, frame.y1 - 4)
    parts = [
        x_axis(frame, x_scale, nice_ticks(0, laps, 12), "Lap (0 = grid)"),
        y_axis(frame, y_scale, list(range(1, max(drivers, 2) + 1)), ""),
    ]
    for line in series:
        if not line.points:
            continue
        values = ",".join(f"{int(x)}:{int(y)}" for x, y in line.points)
        parts.append(_series_line(line, x_scale, y_scale, values))
        last_x, last_y = line.points[-1]
        parts.append(element("circle", {"cx": x_scale(last_x), "cy": y_scale(last_y), "r": 2.5, "fill": line.colour}))
        anchor_x = x_scale(last_x) + 5
        parts.append(_halo_label(anchor_x, y_scale(last_y) + 4, line.label, font_weight=600))
        first_x, first_y = line.points[0]
        if first_x == 0:
            parts.append(label(frame.x0 - 26, y_scale(first_y) + 4, line.label, text_anchor="end", fill=MUTED))
    return svg(frame, "Lap chart: position of every driver at the end of each lap", chart_id, *parts, min_width=640)


def line_chart(
    series: Sequence[Series],
    chart_id: str,
    label_text: str,
    x_caption: str,
    y_caption: str,
    x_ticks: Sequence[float] | None = None,
    x_format: Callable[[float], str] = number,
    invert_y: bool = False,
    height: int = 320,
) -> Markup:
    """Lines with a label at each line's end (labels pushed apart so they never overlap)."""
    xs = [x for s in series for x, _ in s.points] or [0.0, 1.0]
    ys = [y for s in series for _, y in s.points] or [0.0, 1.0]
    longest = max((len(line.label) for line in series), default=3)
    frame = Frame(width=900, height=height, left=52, right=min(16 + 7 * longest, 170), top=12, bottom=40)
    x_scale = Scale(min(xs), max(xs), frame.x0, frame.x1)
    y_low, y_high = padded(ys, 0.03, floor=0 if min(ys) >= 0 else None)
    y_scale = Scale(y_low, y_high, frame.y1, frame.y0) if not invert_y else Scale(y_low, y_high, frame.y0, frame.y1)
    ticks = list(x_ticks) if x_ticks is not None else nice_ticks(min(xs), max(xs), 10)
    parts = [
        x_axis(frame, x_scale, ticks, x_caption, x_format),
        y_axis(frame, y_scale, nice_ticks(y_low, y_high, 6), y_caption),
    ]
    ends: list[tuple[str, float]] = []
    for line in series:
        if not line.points:
            continue
        values = ",".join(f"{number(x)}:{number(y)}" for x, y in line.points)
        parts.append(_series_line(line, x_scale, y_scale, values))
        last_x, last_y = line.points[-1]
        parts.append(element("circle", {"cx": x_scale(last_x), "cy": y_scale(last_y), "r": 2.5, "fill": line.colour}))
        ends.append((line.key, y_scale(last_y)))
    label_y = _spread(ends, 11, frame.y0, frame.y1 + 10)
    for line in series:
        if line.key in label_y:
            last_x = line.points[-1][0]
            parts.append(_halo_label(x_scale(last_x) + 6, label_y[line.key] + 4, line.label, font_weight=600))
    return svg(frame, label_text, chart_id, *parts, min_width=640)


def strategy_chart(rows: Sequence[StrategyRow], laps: int, chart_id: str = "strategy-chart") -> Markup:
    """Tyre stints by lap, one row per driver, each stint coloured by compound."""
    row_height = 18
    frame = Frame(width=900, height=58 + row_height * max(len(rows), 1), left=52, right=16, top=8, bottom=50)
    x_scale = Scale(0, max(laps, 1), frame.x0, frame.x1)
    parts = [x_axis(frame, x_scale, nice_ticks(0, max(laps, 1), 12), "Lap")]
    for index, row in enumerate(rows):
        y = frame.y0 + index * row_height
        parts.append(label(frame.x0 - 8, y + 12, row.label, text_anchor="end", font_weight=600))
        parts.append(element("rect", {"x": frame.x0 - 6, "y": y + 2, "width": 3, "height": 13, "fill": row.colour}))
        bars = []
        for stint in row.stints:
            x0 = x_scale(stint.first_lap - 1)
            width = max(x_scale(stint.last_lap) - x0, 1.5)
            fill = compound_colour(stint.compound)
            bars.append(
                element(
                    "rect",
                    {
                        "x": x0,
                        "y": y + 2,
                        "width": width,
                        "height": 13,
                        "rx": 3,
                        "fill": fill,
                        "stroke": INK,
                        "stroke_width": 0.6,
                        "class": "stint",
                    },
                    title(stint.description),
                )
            )
            if width > 16:
                letter_colour = "#fff" if fill in (COMPOUND_COLOURS["SOFT"], COMPOUND_COLOURS["WET"]) else INK
                bars.append(
                    label(
                        x0 + width / 2,
                        y + 12.5,
                        compound_letter(stint.compound),
                        text_anchor="middle",
                        font_size=9,
                        font_weight=700,
                        fill=letter_colour,
                    )
                )
        parts.append(element("g", {"class": "series", "data-key": row.key}, *bars))
    legend = [(name.title(), colour) for name, colour in COMPOUND_COLOURS.items()] + [("Unknown", UNKNOWN_COMPOUND)]
    parts.append(_legend(frame, legend, frame.height - 4))
    return svg(frame, "Tyre strategy: stints by compound for every driver", chart_id, *parts, min_width=640)


def pace_chart(rows: Sequence[PaceRow], chart_id: str = "pace-chart", cutoff: float = 1.07) -> Markup:
    """Clean laps as dots, one row per driver, coloured by compound.

    The time axis runs from the fastest clean lap to ``cutoff`` times it; slower laps are drawn as arrows at the
    right edge (with their time in the tooltip) so one slow lap does not squash everyone else's.
    """
    durations = [lap.duration_s for row in rows for lap in row.laps]
    row_height = 20
    frame = Frame(width=900, height=78 + row_height * max(len(rows), 1), left=52, right=20, top=8, bottom=50)
    fastest = min(durations, default=60.0)
    high = min(max(durations, default=fastest + 1), fastest * cutoff)
    x_scale = Scale(fastest - 0.2, high + 0.2, frame.x0, frame.x1 - 8)
    parts = [x_axis(frame, x_scale, nice_ticks(fastest - 0.2, high + 0.2, 10), "Clean lap time (s)")]
    for index, row in enumerate(rows):
        middle = frame.y0 + index * row_height + row_height / 2
        parts.append(label(frame.x0 - 8, middle + 4, row.label, text_anchor="end", font_weight=600))
        parts.append(element("line", {"x1": frame.x0, "y1": middle, "x2": frame.x1, "y2": middle, "stroke": GRID}))
        parts.append(
            element("rect", {"x": frame.x0 - 6, "y": middle - 6, "width": 3, "height": 13, "fill": row.colour})
        )
        dots = []
        for lap in row.laps:
            jitter = ((lap.lap_number * 7) % 9 - 4) * 1.4
            tip = title(f"{row.label} lap {lap.lap_number}: {lap.duration_s:.3f} s ({lap.compound or 'unknown'})")
            if lap.duration_s > high + 0.2:
                x = frame.x1 - 4
                points = (
                    f"{number(x - 5)},{number(middle + jitter - 4)} {number(x + 2)},{number(middle + jitter)} "
                    f"{number(x - 5)},{number(middle + jitter + 4)}"
                )
                dots.append(element("polygon", {"points": points, "fill": MUTED, "class": "lap slow"}, tip))
                continue
            dots.append(
                element(
                    "circle",
                    {
                        "cx": x_scale(lap.duration_s),
                        "cy": middle + jitter,
                        "r": 3,
                        "fill": compound_colour(lap.compound),
                        "stroke": INK,
                        "stroke_width": 0.5,
                        "class": "lap",
                        "fill-opacity": 0.9,
                    },
                    tip,
                )
            )
        values = ",".join(f"{lap.lap_number}:{lap.duration_s:.3f}" for lap in row.laps)
        parts.append(element("g", {"class": "series", "data-key": row.key, "data-values": values}, *dots))
    legend = [(name.title(), colour) for name, colour in COMPOUND_COLOURS.items()] + [
        (f"Slower than {cutoff:.2f}× fastest", MUTED)
    ]
    parts.append(_legend(frame, legend, frame.height - 4))
    return svg(frame, "Pace: every clean lap of every driver, by compound", chart_id, *parts, min_width=640)


def pit_chart(bars: Sequence[PitBar], chart_id: str = "pit-chart", cap_s: float = 60.0) -> Markup:
    """Pit stops in time order: the pit-lane time as a bar in team colour, the stationary time inside it.

    The scale stops at ``cap_s`` seconds: longer passages (cars waiting in the pit lane under a red flag) reach
    the top with a break mark and their value written above.
    """
    slot = min(max(840 / max(len(bars), 1), 14), 30)  # wide bars for a few stops, a wider chart for many
    frame = Frame(width=max(900, 60 + slot * len(bars)), height=280, left=48, right=12, top=12, bottom=64)
    values = [b.lane_duration_s or b.stop_duration_s or 0.0 for b in bars]
    top_value = min(padded(values, 0.05, floor=0)[1] if values else 30, cap_s)
    y_scale = Scale(0, top_value, frame.y1, frame.y0)
    parts = [y_axis(frame, y_scale, y_scale.ticks(5), "Seconds")]
    for index, bar in enumerate(bars):
        x = frame.x0 + 4 + index * slot
        tip = (
            f"{bar.label}, lap {bar.lap_number}: lane "
            f"{'—' if bar.lane_duration_s is None else f'{bar.lane_duration_s:.1f} s'}, stationary "
            f"{'—' if bar.stop_duration_s is None else f'{bar.stop_duration_s:.1f} s'}"
        )
        shapes = [title(tip)]
        if bar.lane_duration_s is not None:
            top = y_scale(min(bar.lane_duration_s, top_value))
            shapes.append(
                element(
                    "rect",
                    {
                        "x": x,
                        "y": top,
                        "width": slot - 5,
                        "height": frame.y1 - top,
                        "fill": bar.colour,
                        "stroke": INK,
                        "stroke_width": 0.4,
                    },
                )
            )
            if bar.lane_duration_s > top_value:  # off the scale (a red flag): a break mark, the value if it fits
                zigzag = [(x - 1, top + 10), (x + (slot - 5) / 2, top + 6), (x + slot - 4, top + 10)]
                shapes.append(polyline(zigzag, stroke="#fff", stroke_width=2.5))
                if slot >= 24:
                    shapes.append(
                        label(
                            x + (slot - 5) / 2,
                            top - 2,
                            f"{bar.lane_duration_s:.0f}",
                            text_anchor="middle",
                            font_size=8,
                            fill=MUTED,
                        )
                    )
        if bar.stop_duration_s is not None:
            top = y_scale(min(bar.stop_duration_s, top_value))
            shapes.append(
                element("rect", {"x": x + 3, "y": top, "width": slot - 11, "height": frame.y1 - top, "fill": INK})
            )
        values = (
            f"{bar.lap_number}:{'' if bar.lane_duration_s is None else bar.lane_duration_s}:"
            f"{'' if bar.stop_duration_s is None else bar.stop_duration_s}"
        )
        parts.append(element("g", {"class": "series", "data-key": bar.key, "data-values": values}, *shapes))
        centre = x + (slot - 5) / 2
        parts.append(label(centre, frame.y1 + 12, bar.lap_number, text_anchor="middle", fill=MUTED, font_size=9))
        parts.append(
            label(
                centre + 3,
                frame.y1 + 20,
                bar.label,
                text_anchor="end",
                font_size=9,
                transform=f"rotate(-90 {number(centre + 3)} {number(frame.y1 + 20)})",
            )
        )
    parts.append(label(frame.x0 - 44, frame.y1 + 12, "lap", fill=MUTED, font_size=9))
    parts.append(element("line", {"x1": frame.x0, "y1": frame.y1, "x2": frame.x1, "y2": frame.y1, "stroke": MUTED}))
    return svg(
        frame,
        "Pit stops: pit-lane time (bar) and stationary time (dark, inside)",
        chart_id,
        *parts,
        min_width=max(640, int(frame.width * 0.75)),
    )


def race_control_chart(
    statuses: Sequence[tuple[int, str]],
    events: Sequence[RaceControlEvent],
    lanes: Sequence[str],
    laps: int,
    chart_id: str = "race-control-chart",
) -> Markup:
    """Track status lap by lap (the leader's lap) and race-control messages as marks on lanes."""
    lane_height = 22
    frame = Frame(width=900, height=70 + lane_height * (len(lanes) + 1), left=88, right=16, top=8, bottom=50)
    x_scale = Scale(0, max(laps, 1), frame.x0, frame.x1)
    parts = [x_axis(frame, x_scale, nice_ticks(0, max(laps, 1), 12), "Lap", grid=False)]
    parts.append(label(frame.x0 - 8, frame.y0 + 14, "Track", text_anchor="end", font_weight=600))
    cells = []
    for lap_number, status in statuses:
        x0 = x_scale(lap_number - 1)
        cells.append(
            element(
                "rect",
                {
                    "x": x0,
                    "y": frame.y0 + 2,
                    "width": max(x_scale(lap_number) - x0, 1),
                    "height": 16,
                    "fill": TRACK_STATUS_COLOURS.get(status, UNKNOWN_COMPOUND),
                },
                title(f"Lap {lap_number}: {TRACK_STATUS_NAMES.get(status, status)}"),
            )
        )
    values = ",".join(f"{lap_number}:{status}" for lap_number, status in statuses)
    parts.append(element("g", {"class": "series", "data-key": "track-status", "data-values": values}, *cells))
    for index, lane in enumerate(lanes, start=1):
        y = frame.y0 + index * lane_height
        parts.append(label(frame.x0 - 8, y + 14, lane, text_anchor="end", font_weight=600))
        parts.append(element("line", {"x1": frame.x0, "y1": y + 10, "x2": frame.x1, "y2": y + 10, "stroke": GRID}))
        marks = []
        for event in (e for e in events if e.lane == lane):
            x = x_scale(event.lap_number - 0.5)
            marks.append(
                element(
                    "rect",
                    {
                        "x": x - 3,
                        "y": y + 3,
                        "width": 6,
                        "height": 14,
                        "rx": 1.5,
                        "fill": event.colour,
                        "stroke": INK,
                        "stroke_width": 0.5,
                        "class": "event",
                    },
                    title(event.description),
                )
            )
        parts.append(element("g", {"class": "series", "data-key": lane}, *marks))
    legend = [(TRACK_STATUS_NAMES[name], colour) for name, colour in TRACK_STATUS_COLOURS.items()]
    parts.append(_legend(frame, legend, frame.height - 4))
    return svg(frame, "Race control: track status by lap and messages", chart_id, *parts, min_width=640)


def weather_chart(samples: Sequence[WeatherSample], chart_id: str = "weather-chart") -> Markup:
    """Air and track temperature over the session, with rain shaded."""
    frame = Frame(width=900, height=200, left=48, right=16, top=10, bottom=50)
    times = [(s.recorded_at - EPOCH).total_seconds() for s in samples] or [0.0, 1.0]
    temperatures = [t for s in samples for t in (s.air_temperature_c, s.track_temperature_c) if t is not None]
    x_scale = Scale(min(times), max(times), frame.x0, frame.x1)
    low, high = padded(temperatures or [0.0, 1.0], 0.1)
    y_scale = Scale(low, high, frame.y1, frame.y0)
    ticks = _time_ticks(min(times), max(times), _nice_time_step(max(times) - min(times)))
    parts = [
        x_axis(frame, x_scale, ticks, "Time (UTC)", lambda t: (EPOCH + timedelta(seconds=t)).strftime("%H:%M")),
        y_axis(frame, y_scale, nice_ticks(low, high, 5), "°C"),
    ]
    rain = []
    for index, sample in enumerate(samples):
        if sample.is_raining:
            x0 = x_scale(times[index])
            x1 = x_scale(times[index + 1]) if index + 1 < len(samples) else frame.x1
            rain.append(
                element(
                    "rect",
                    {
                        "x": x0,
                        "y": frame.y0,
                        "width": max(x1 - x0, 1),
                        "height": frame.y1 - frame.y0,
                        "fill": RAIN_COLOUR,
                        "fill-opacity": 0.6,
                    },
                )
            )
    parts.append(element("g", {"class": "rain"}, *rain))
    for key, name, colour, attribute in (
        ("air", "Air", AIR_COLOUR, "air_temperature_c"),
        ("track", "Track", TRACK_COLOUR, "track_temperature_c"),
    ):
        points = [(times[i], getattr(s, attribute)) for i, s in enumerate(samples) if getattr(s, attribute) is not None]
        values = ",".join(f"{number(y)}" for _, y in points)
        parts.append(
            element(
                "g",
                None,
                title(f"{name} temperature"),
                polyline(
                    [(x_scale(x), y_scale(y)) for x, y in points],
                    stroke=colour,
                    stroke_width=2,
                    class_="series",
                    data_key=key,
                    data_values=values,
                ),
            )
        )
    parts.append(
        _legend(frame, [("Air °C", AIR_COLOUR), ("Track °C", TRACK_COLOUR), ("Rain", RAIN_COLOUR)], frame.height - 4)
    )
    return svg(frame, "Weather: air and track temperature, rain shaded", chart_id, *parts, min_width=640)


def _nice_time_step(span_s: float) -> float:
    for minutes in (5, 10, 15, 20, 30, 60, 120):
        if span_s / (minutes * 60) <= 10:
            return minutes * 60.0
    return 240 * 60.0


def _time_ticks(low: float, high: float, step: float) -> list[float]:
    first = (int(low // step) + 1) * step
    ticks = []
    value = first
    while value <= high:
        ticks.append(value)
        value += step
    return ticks
