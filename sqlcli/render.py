"""A result as text: an aligned table for people, CSV, JSON or Markdown for other programs. Every column is
printed in full; a table wider or longer than the terminal goes to a pager that scrolls sideways."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

from sqlcli.database import Result

NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")
# less: quit when it fits one screen, keep colours, chop long lines (arrow keys scroll sideways), no clearing
PAGER_LESS_OPTIONS = "-FRSX"


def is_numeric(type_name: str) -> bool:
    return type_name.upper().lstrip("U").startswith(NUMERIC_TYPES)


def text(value: Any) -> str:
    """A value as DuckDB's own shell writes it: NULL, true/false, lists in brackets."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {text(item)}" for key, item in value.items()) + "}"
    return str(value)


def cell(value: Any) -> str:
    """A value on one line of a table: line breaks and tabs written as escapes."""
    return text(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def table(result: Result) -> str:
    """Columns aligned with `` | `` between them, numbers to the right, a rule under the header."""
    rows = [[cell(value) for value in row] for row in result.rows]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(result.columns)]
    right = [is_numeric(type_name) for type_name in result.types]

    def line(values: list[str]) -> str:
        padded = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)]
        return " | ".join(padded).rstrip()

    header = " | ".join(name.ljust(width) for name, width in zip(result.columns, widths, strict=True)).rstrip()
    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([header, rule, *(line(row) for row in rows)]) + "\n"


def csv_text(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([["" if value is None else text(value) for value in row] for row in result.rows])
    return out.getvalue()


def json_value(value: Any) -> Any:
    """A value JSON can hold: numbers stay numbers (NaN and infinities become null), times become ISO text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def json_text(result: Result) -> str:
    """A JSON array of objects, one row a line."""
    objects = [
        json.dumps(dict(zip(result.columns, map(json_value, row), strict=True)), ensure_ascii=False)
        for row in result.rows
    ]
    return "[\n" + ",\n".join(objects) + "\n]\n" if objects else "[]\n"


def markdown(result: Result) -> str:
    def escape(value: str) -> str:
        return value.replace("|", "\\|").replace("\n", "<br>")

    header = "| " + " | ".join(escape(name) for name in result.columns) + " |"
    rule = "|" + "|".join("---:" if is_numeric(t) else "---" for t in result.types) + "|"
    rows = ["| " + " | ".join(escape(text(value)) for value in row) + " |" for row in result.rows]
    return "\n".join([header, rule, *rows]) + "\n"


FORMATS: dict[str, Callable[[Result], str]] = {"table": table, "csv": csv_text, "json": json_text, "markdown": markdown}


def show(output: str, stream: TextIO = sys.stdout) -> None:
    """Write ``output``; on a terminal it cannot fit (too wide or too long), through a pager instead
    ($PAGER, else less -FRSX: scroll sideways with the arrow keys, q quits)."""
    if stream.isatty() and not fits_terminal(output):
        pager = os.environ.get("PAGER") or ("less" if shutil.which("less") else "")
        if pager:
            env = {**os.environ, "LESS": os.environ.get("LESS", PAGER_LESS_OPTIONS)}
            stream.flush()
            subprocess.run(pager, shell=True, input=output, text=True, env=env, check=False)
            return
    stream.write(output)


def fits_terminal(output: str) -> bool:
    size = shutil.get_terminal_size()
    lines = output.splitlines()
    return len(lines) < size.lines and max((len(line) for line in lines), default=0) <= size.columns
