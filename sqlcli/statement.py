"""The SQL to run: from ``SQL`` or ``SQL_FILE``, taken verbatim (no shell ever re-parses it)."""

from __future__ import annotations

import re
from pathlib import Path

# {{ ref('fct_laps') }} as dbt writes it in analyses/: replaced by the table's schema-qualified name
REF = re.compile(r"""\{\{\s*ref\(\s*['"](?P<name>\w+)['"]\s*\)\s*\}\}""")
JINJA = re.compile(r"\{\{|\{%|\{#")
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


class UsageError(ValueError):
    """The command was given wrongly (exit 2); the message says how to give it in one line."""


class UnknownTable(LookupError):
    """A ref() names a table the published copy does not have (exit 1, like any SQL error)."""


def read_sql(sql: str | None, sql_file: str | None) -> str:
    """The statement text from exactly one of ``sql`` and ``sql_file``."""
    if sql and sql_file:
        raise UsageError("give SQL=... or SQL_FILE=path, not both")
    if sql_file:
        path = Path(sql_file)
        if not path.is_file():
            raise UsageError(f"SQL_FILE={sql_file}: no such file")
        sql = path.read_text()
    if not sql or not sql.strip():
        raise UsageError('give SQL="select ..." or SQL_FILE=path/to/file.sql (make query SQL="from marts.dim_drivers")')
    return sql


def has_jinja(sql: str) -> bool:
    return JINJA.search(sql) is not None


def resolve_refs(sql: str, tables: dict[str, str]) -> str:
    """Replace dbt's ``{{ ref('name') }}`` with ``schema.name`` (``tables``: name -> schema) and drop ``{# #}``
    comments, so the cookbook's analyses run as they are. Other Jinja needs dbt: say so rather than send DuckDB
    a syntax error."""

    def qualified(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in tables:
            raise UnknownTable(f"ref('{name}'): no such table in the published copy (it has {table_list(tables)})")
        return f"{tables[name]}.{name}"

    resolved = REF.sub(qualified, JINJA_COMMENT.sub("", sql))
    if has_jinja(resolved):
        raise UsageError("the SQL uses dbt Jinja other than {{ ref('...') }}: compile it with dbt compile first")
    return resolved


def table_list(tables: dict[str, str]) -> str:
    """``marts: a, b; features: c`` — every table, grouped by schema, on one line."""
    by_schema: dict[str, list[str]] = {}
    for name, schema in sorted(tables.items()):
        by_schema.setdefault(schema, []).append(name)
    return "; ".join(f"{schema}: {', '.join(names)}" for schema, names in sorted(by_schema.items()))
