"""OpenF1 query strings: parsed from the raw URL query, compiled to a DuckDB WHERE clause.

Semantics follow api.openf1.org (br-g/openf1, ``query_api/query_params.py``):

* ``field=value`` is equality; ``>``, ``>=``, ``<``, ``<=`` are written inside the key (``lap_number>=50``,
  ``date<2023-09-16T13:05:00``), so the raw query string is parsed here, never by ``parse_qs``.
* A repeated field ORs its equalities (``driver_number=1&driver_number=44``) and ANDs its bounds.
* Values are typed by the field when we know it (numbers, datetimes, booleans, text; see ``FIELD_KINDS``) and
  otherwise the way OpenF1 casts them: ``true``/``false``, then a number, then a datetime, else text. Like
  MongoDB, a number only matches JSON numbers, a string only JSON strings.
* A date-only value covers the whole UTC day: ``date=2023-01-01`` is that day, ``date>2023-01-01`` starts on
  01-02, ``date<=2023-01-01`` runs through the end of 01-01. A space before a timezone is a URL-decoded '+'.
* ``meeting_key=latest`` / ``session_key=latest`` resolve to the snapshot's most recent meeting/session.
* ``csv=true`` asks for CSV. Anything we cannot make sense of raises ``QueryError`` (HTTP 422).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from urllib.parse import unquote_plus

Op = Literal["=", ">", ">=", "<", "<="]
Kind = Literal["number", "datetime", "boolean", "text", "array", "mixed"]
Value = int | float | bool | str | datetime

LATEST = "latest"
_NUMBER_FIELDS = (
    "meeting_key session_key driver_number lap_number lap_start lap_end stint_number position circuit_key "
    "country_key year i1_speed i2_speed st_speed tyre_age_at_start number_of_laps rpm speed n_gear throttle "
    "brake drs x y z rainfall wind_direction sector qualifying_phase overtaking_driver_number "
    "overtaken_driver_number position_start position_current lap_duration duration_sector_1 duration_sector_2 "
    "duration_sector_3 lane_duration pit_duration stop_duration air_temperature track_temperature humidity "
    "pressure wind_speed points points_start points_current"
)
_TEXT_FIELDS = (
    "gmt_offset team_colour broadcast_name full_name first_name last_name name_acronym team_name headshot_url "
    "country_code country_name country_flag circuit_short_name circuit_type circuit_image circuit_info_url "
    "location meeting_name meeting_official_name meeting_code session_name session_type compound category "
    "flag scope message recording_url"
)
# How the value of a known field is read. Unknown fields (and OpenF1's mixed float/'+1 LAP'/array fields)
# are "mixed": typed from the value itself, as OpenF1 does.
FIELD_KINDS: dict[str, Kind] = {
    **dict.fromkeys(_NUMBER_FIELDS.split(), "number"),
    **dict.fromkeys(_TEXT_FIELDS.split(), "text"),
    **dict.fromkeys(("date", "date_start", "date_end"), "datetime"),
    **dict.fromkeys(("is_pit_out_lap", "dnf", "dns", "dsq", "is_cancelled"), "boolean"),
    **dict.fromkeys(("segments_sector_1", "segments_sector_2", "segments_sector_3"), "array"),
}

_FIELD = re.compile(r"[a-z][a-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}")
# "2023-09-16T13:00:00 02:00": the '+' of the offset arrived as a space
_SPACED_OFFSET = re.compile(r"(.*[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)")
_JSON_NUMBER_TYPES = "('UBIGINT', 'BIGINT', 'DOUBLE')"


class QueryError(ValueError):
    """A filter the server cannot apply; answered with HTTP 422 and this message as ``detail``."""


@dataclass(frozen=True)
class Condition:
    """One comparison, its value already typed: ``kind`` says how the stored JSON value is compared."""

    field: str
    op: Op
    value: Value
    kind: Literal["number", "datetime", "boolean", "text", "contains", "latest"]


@dataclass
class FieldFilter:
    """Everything asked of one field: any of ``alternatives`` (each an AND of conditions), and all ``bounds``."""

    field: str
    alternatives: list[list[Condition]] = field(default_factory=list)
    bounds: list[Condition] = field(default_factory=list)


@dataclass
class Query:
    filters: dict[str, FieldFilter]
    csv: bool = False

    def has_equality(self, name: str) -> bool:
        return name in self.filters and bool(self.filters[name].alternatives)

    def keys(self, name: str, latest: Mapping[str, int | None] | None = None) -> set[int] | None:
        """The integer values ``name`` is limited to by its ``=`` filters (``latest`` resolved; a value that is
        not an integer, or an unknown latest, matches no integer key), or None when some alternative does not
        pin it to one value (then any value may match)."""
        if not self.has_equality(name):
            return None
        values: set[int] = set()
        for conditions in self.filters[name].alternatives:
            pinned = [c for c in conditions if c.op == "=" and c.kind in ("number", "latest")]
            if not pinned:
                return None
            value = (latest or {}).get(name) if pinned[0].kind == "latest" else pinned[0].value
            if isinstance(value, int | float) and float(value).is_integer():
                values.add(int(value))
        return values

    def sole_key(self, name: str, latest: Mapping[str, int | None] | None = None) -> int | None:
        """The integer ``name`` is pinned to when ``name=value`` is the query's only filter, else None."""
        if set(self.filters) != {name} or self.filters[name].bounds or len(self.filters[name].alternatives) != 1:
            return None
        if len(self.filters[name].alternatives[0]) != 1:
            return None
        keys = self.keys(name, latest)
        return next(iter(keys)) if keys is not None and len(keys) == 1 else None


def parse_number(text: str) -> int | float | None:
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_datetime(text: str) -> tuple[datetime, bool] | None:
    """An ISO-8601 date or datetime as an aware UTC datetime, and whether it was a date only."""
    text = text.strip()
    spaced = _SPACED_OFFSET.fullmatch(text)
    if spaced:
        text = f"{spaced.group(1)}+{spaced.group(2)}"
    if _DATE_ONLY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=UTC), True
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment, False


def _split(piece: str) -> tuple[str, Op, str]:
    """``lap_number>=50`` -> (``lap_number``, ``>=``, ``50``): the first operator character splits."""
    match = re.search(r"[<>=]", piece)
    if match is None:
        raise QueryError(f"malformed filter {piece!r}: expected field=value, field>value, field<=value, ...")
    start = match.start()
    op = piece[start]
    if op in "<>" and piece[start + 1 : start + 2] == "=":
        op += "="
    name = piece[:start].strip().lower()
    if not _FIELD.fullmatch(name):
        raise QueryError(f"malformed filter {piece!r}: {name!r} is not a field name")
    return name, op, piece[start + len(op) :]  # type: ignore[return-value]


def _day_conditions(name: str, op: Op, day: datetime) -> list[Condition]:
    """OpenF1's whole-day rewrite of a date-only value."""
    next_day = day + timedelta(days=1)
    rewrites: dict[str, list[tuple[Op, datetime]]] = {
        "=": [(">=", day), ("<", next_day)],
        ">": [(">=", next_day)],
        ">=": [(">=", day)],
        "<": [("<", day)],
        "<=": [("<", next_day)],
    }
    return [Condition(name, new_op, value, "datetime") for new_op, value in rewrites[op]]


def _typed(name: str, op: Op, raw: str) -> list[Condition]:
    """The conditions one ``name op raw`` filter stands for, its value typed; QueryError if it cannot be."""
    kind = FIELD_KINDS.get(name, "mixed")
    if kind == "text":
        return [Condition(name, op, raw, "text")]
    if kind == "array":
        if op != "=":
            raise QueryError(f"operator {op!r} cannot be used on the array field {name!r}; use {name}=value")
        number = parse_number(raw)
        if number is None:
            raise QueryError(f"invalid value {raw!r} for {name}: expected a number found in the array")
        return [Condition(name, op, number, "contains")]
    if kind == "number":
        if raw == LATEST and name in ("meeting_key", "session_key"):
            if op != "=":
                raise QueryError(f"{name}=latest takes no comparison operator")
            return [Condition(name, op, raw, "latest")]
        number = parse_number(raw)
        if number is None:
            raise QueryError(f"invalid value {raw!r} for {name}: expected a number")
        return [Condition(name, op, number, "number")]
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise QueryError(f"invalid value {raw!r} for {name}: expected true or false")
        return [Condition(name, op, raw.lower() == "true", "boolean")]
    if kind == "datetime":
        parsed = parse_datetime(raw)
        if parsed is None:
            raise QueryError(f"invalid value {raw!r} for {name}: expected an ISO date or datetime")
        moment, date_only = parsed
        return _day_conditions(name, op, moment) if date_only else [Condition(name, op, moment, "datetime")]
    # mixed or unknown field: type the value as OpenF1 does (bool, number, datetime, text)
    if raw.lower() in ("true", "false"):
        return [Condition(name, op, raw.lower() == "true", "boolean")]
    number = parse_number(raw)
    if number is not None:
        return [Condition(name, op, number, "number")]
    parsed = parse_datetime(raw)
    if parsed is not None:
        moment, date_only = parsed
        return _day_conditions(name, op, moment) if date_only else [Condition(name, op, moment, "datetime")]
    return [Condition(name, op, raw, "text")]


def parse_query(raw_query: str) -> Query:
    """Parse a raw (still URL-encoded) query string such as ``lap_number>=50&driver_number=1``."""
    query = Query(filters={})
    for encoded in raw_query.split("&"):
        piece = unquote_plus(encoded)
        if not piece:
            continue
        name, op, raw = _split(piece)
        if name == "csv":
            if op != "=" or raw.lower() not in ("true", "false"):
                raise QueryError(f"invalid csv option {piece!r}: use csv=true or csv=false")
            query.csv = raw.lower() == "true"
            continue
        conditions = _typed(name, op, raw)
        target = query.filters.setdefault(name, FieldFilter(name))
        if op == "=":
            target.alternatives.append(conditions)
        else:
            target.bounds.extend(conditions)
    return query


# ---------------------------------------------------------------------------------------------- SQL


@dataclass(frozen=True)
class SqlFilter:
    where: str
    params: list[Value]


def _json_condition(condition: Condition, params: list[Value]) -> str:
    """A condition on a field read from the record's JSON text (column ``rec``)."""
    path = f"'$.{condition.field}'"
    value_type = f"json_type(rec, {path})"
    text = f"json_extract_string(rec, {path})"
    op = condition.op
    if condition.kind == "contains":
        params.append(str(condition.value))
        return f"coalesce(json_contains(json_extract(rec, {path}), ?), false)"
    if condition.kind == "number":
        params.append(condition.value)
        return f"({value_type} IN {_JSON_NUMBER_TYPES} AND TRY_CAST({text} AS DOUBLE) {op} ?)"
    if condition.kind == "boolean":
        params.append("true" if condition.value else "false")
        return f"({value_type} = 'BOOLEAN' AND {text} {op} ?)"
    if condition.kind == "datetime":
        params.append(condition.value)
        return f"({value_type} = 'VARCHAR' AND TRY_CAST({text} AS TIMESTAMPTZ) {op} ?)"
    params.append(condition.value)
    return f"({value_type} = 'VARCHAR' AND {text} {op} ?)"


def _condition_sql(
    condition: Condition, typed_columns: Mapping[str, str], latest: Mapping[str, int | None], params: list[Value]
) -> str:
    if condition.kind == "latest":
        key = latest.get(condition.field)
        if key is None:
            return "false"
        condition = Condition(condition.field, "=", key, "number")
    column_kind = typed_columns.get(condition.field)
    if column_kind is not None and column_kind == condition.kind:
        params.append(condition.value)
        if column_kind == "datetime":  # +infinity stands for a stored string that is not a datetime
            return f'(isfinite("{condition.field}") AND "{condition.field}" {condition.op} ?)'
        return f'"{condition.field}" {condition.op} ?'
    return _json_condition(condition, params)


def compile_query(
    query: Query, typed_columns: Mapping[str, str], latest: Mapping[str, int | None] | None = None
) -> SqlFilter:
    """A WHERE clause over a store table: typed columns (``{name: "number"|"datetime"}``) where the table has
    them, JSON extraction from ``rec`` otherwise. ``latest`` maps meeting_key/session_key to their latest key."""
    params: list[Value] = []
    clauses: list[str] = []
    latest = latest or {}
    for field_filter in query.filters.values():
        if field_filter.alternatives:
            options = [
                " AND ".join(_condition_sql(c, typed_columns, latest, params) for c in conditions)
                for conditions in field_filter.alternatives
            ]
            clauses.append("(" + " OR ".join(f"({option})" for option in options) + ")")
        clauses.extend(_condition_sql(c, typed_columns, latest, params) for c in field_filter.bounds)
    return SqlFilter(" AND ".join(clauses) if clauses else "true", params)
