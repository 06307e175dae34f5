"""Jinja filters: how numbers and times read on the page (formatting only, never arithmetic on data)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

DASH = "—"


def lap_time(seconds: float | None) -> str:
    """87.1234 -> '1:27.123'."""
    if seconds is None:
        return DASH
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:06.3f}" if minutes else f"{rest:.3f}"


def race_time(seconds: float | None) -> str:
    """5147.674 -> '1:25:47.674'."""
    if seconds is None:
        return DASH
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{rest:06.3f}" if hours else lap_time(seconds)


def gap(seconds: float | None) -> str:
    """1.917 -> '+1.917s'."""
    return DASH if seconds is None else f"+{seconds:.3f}s"


def seconds(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def fixed(value: float | None, digits: int = 1) -> str:
    """A plain number with ``digits`` decimals: 4.25 -> '4.2' (mean positions)."""
    return DASH if value is None else f"{value:.{digits}f}"


def points(value: float | None) -> str:
    """25.0 -> '25', 0.5 -> '0.5'."""
    if value is None:
        return DASH
    return f"{value:g}"


def signed(value: int | None) -> str:
    if value is None:
        return DASH
    return f"+{value}" if value > 0 else ("±0" if value == 0 else f"−{abs(value)}")


def signed_seconds(value: float | None, digits: int = 1) -> str:
    """1.25 -> '+1.2', -0.5 -> '−0.5'."""
    if value is None:
        return DASH
    text = f"{abs(value):.{digits}f}"
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


def percent(share: float | None) -> str:
    """A share as a percentage: 0.153 -> '15 %'."""
    return DASH if share is None else f"{share:.0%}".replace("%", " %")


def utc(moment: datetime | None, with_date: bool = True) -> str:
    if moment is None:
        return DASH
    return moment.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M:%S")


def day(moment: datetime | None) -> str:
    return DASH if moment is None else moment.strftime("%d %b %Y")


def slug(text: str) -> str:
    """'São Paulo Grand Prix' -> 'sao-paulo-grand-prix'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "race"


FILTERS = {
    "lap_time": lap_time,
    "race_time": race_time,
    "gap": gap,
    "seconds": seconds,
    "fixed": fixed,
    "points": points,
    "signed": signed,
    "signed_seconds": signed_seconds,
    "percent": percent,
    "utc": utc,
    "day": day,
}
