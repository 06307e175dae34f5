"""Order-independent content hashes of DuckDB tables, to tell whether two builds gave the same data.

A table's hash is its row count and the sum (a multiset: duplicates count, row order does not) of one 64-bit hash
per row, taken over the whole row, so values that swap rows are caught as well as values that change. Per-column
sums come along to say which columns differ.

Floats are compared twice. ``content`` hashes every double rounded on a binary grid: to a multiple of 2**-20
(about 1e-6) and then to single precision (24 significant bits, about 7 digits); ``exact`` hashes the doubles
bit for bit. The builds' averages and regression slopes are summed by DuckDB's parallel aggregates in an order
that follows thread scheduling, so the same SQL on the same data can give doubles that differ in their last bits
(a stint's pace against a field of itself: 0.0 in one run, 1.4e-14 in the next): a determinism bug of its own,
reported by name (``float_differences``), never silently rounded away, but not one an analyst can see. The grid
is binary on purpose: a decimal rounding (9 significant digits, say) puts its half-way points exactly on values
like a mean of 16 millisecond lap times (105.0909375), where two builds 1 ulp apart round to different digits;
the half-way points of a binary grid are fractions no mean of millisecond or integer values lands on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLIC_SCHEMAS = ("marts", "features")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
FLOAT_GRID = 2**20  # doubles are rounded to multiples of 1 / FLOAT_GRID before single precision


@dataclass(frozen=True)
class TableHash:
    rows: int
    content: int  # sum of the rows' hashes (floats rounded), modulo 2**64
    exact: int  # the same with floats bit for bit
    columns: dict[str, int]  # per column, the sum of its values' hashes (floats rounded)
    float_columns: dict[str, int]  # per float column, the sum bit for bit

    def short(self) -> str:
        return f"{self.rows} rows, hash {self.content:016x}"


def _fold(value: object) -> int:
    return int(value or 0) % 2**64


def relation_hash(con: duckdb.DuckDBPyConnection, relation: str) -> TableHash:
    """The hash of ``relation``: a quoted table or view name, or a parenthesised query."""
    # columns by name, not position: a contract may create a table's columns in another order than its select
    described = sorted(con.execute(f"describe select * from {relation}").fetchall())
    columns = [row[0] for row in described]
    floats = [row[0] for row in described if row[1] in FLOAT_TYPES]
    # try_cast: a double beyond single precision's range becomes null (in both builds alike), not an error
    rounded = [
        f'try_cast(round("{c}" * {FLOAT_GRID}) / {FLOAT_GRID} as float)' if c in floats else f'"{c}"' for c in columns
    ]
    exact = [f'"{c}"' for c in columns]
    # hash(a, b, ...) combines the row's values in that order; the sums run in hugeint (no overflow)
    select = [
        "count(*)",
        f"sum(hash({', '.join(rounded)}))",
        f"sum(hash({', '.join(exact)}))",
        *(f"sum(hash({value}))" for value in rounded),
        *(f'sum(hash("{c}"))' for c in floats),
    ]
    count, content, bits, *sums = con.execute(f"select {', '.join(select)} from {relation} as relation_").fetchone()
    return TableHash(
        rows=count,
        content=_fold(content),
        exact=_fold(bits),
        columns={c: _fold(value) for c, value in zip(columns, sums[: len(columns)], strict=True)},
        float_columns={c: _fold(value) for c, value in zip(floats, sums[len(columns) :], strict=True)},
    )


def table_hashes(warehouse: Path, schemas: tuple[str, ...] = PUBLIC_SCHEMAS) -> dict[str, TableHash]:
    """``schema.name`` -> hash, for every table and view in ``schemas``."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) order by all",
            [list(schemas)],
        ).fetchall()
        return {f"{schema}.{name}": relation_hash(con, f'"{schema}"."{name}"') for schema, name in relations}


def _names(columns: list[str], shown: int = 4) -> str:
    more = f" and {len(columns) - shown} more" if len(columns) > shown else ""
    return ", ".join(columns[:shown]) + more


def content_differences(first: dict[str, TableHash], second: dict[str, TableHash]) -> list[str]:
    """One short line per table whose content differs (floats rounded), or that only one side has."""
    lines = []
    for name in sorted(first.keys() | second.keys()):
        one, other = first.get(name), second.get(name)
        if one is None or other is None:
            lines.append(f"{name}: only in the {'second' if one is None else 'first'} build")
        elif (one.rows, one.content) != (other.rows, other.content):
            changed = [c for c, value in one.columns.items() if other.columns.get(c) != value]
            where = f"columns {_names(changed)}" if changed else "same values per column, in other rows"
            lines.append(f"{name}: {one.short()} vs {other.short()} ({where})")
    return lines


def float_differences(first: dict[str, TableHash], second: dict[str, TableHash]) -> list[str]:
    """Tables equal once rounded but not bit for bit: ``table: column, column`` (the last bits of doubles)."""
    lines = []
    for name in sorted(first.keys() & second.keys()):
        one, other = first[name], second[name]
        if (one.rows, one.content) == (other.rows, other.content) and one.exact != other.exact:
            changed = [c for c, value in one.float_columns.items() if other.float_columns.get(c) != value]
            lines.append(f"{name}: {_names(changed)}")
    return lines
