"""bigquery/parse_cache.py: the emulator parses a SQL text once, and every caller still gets a tree of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from bigquery import parse_cache

SQL = "select driver_number, max(lap_duration) as best from `p`.`marts`.`fct_laps` group by driver_number"


@pytest.fixture
def parses() -> Iterator[list[str]]:
    """Install the cache over a counting Dialect.parse; the texts actually parsed."""
    seen: list[str] = []
    original = Dialect.parse

    def counting(self: Dialect, sql: str, **opts: object) -> list[exp.Expr | None]:
        seen.append(sql)
        return original(self, sql, **opts)

    Dialect.parse = counting
    uninstall = parse_cache.install()
    try:
        yield seen
    finally:
        uninstall()
        Dialect.parse = original


def test_a_text_is_parsed_once_per_dialect(parses: list[str]) -> None:
    trees = [sqlglot.parse_one(SQL, read="bigquery") for _ in range(3)]
    sqlglot.transpile(SQL, read="bigquery", write="duckdb")
    duckdb_sql = sqlglot.transpile(SQL, read="bigquery", write="duckdb")[0]
    sqlglot.parse_one(duckdb_sql, read="duckdb")
    sqlglot.parse_one(duckdb_sql, read="duckdb")
    assert (parses.count(SQL), parses.count(duckdb_sql)) == (1, 1)  # (sqlglot parses its own templates too)
    assert trees[0] == trees[1] == trees[2] == sqlglot.parse_one(SQL, read="bigquery")


def test_each_caller_gets_its_own_tree(parses: list[str]) -> None:
    first = sqlglot.parse_one(SQL, read="bigquery")
    first.find(exp.Table).set("this", exp.to_identifier("changed"))  # a rewriter changing its tree
    second = sqlglot.parse_one(SQL, read="bigquery")
    assert "fct_laps" in second.sql("bigquery") and "changed" not in second.sql("bigquery")
    assert first is not second and second.parent is None


def test_the_cached_trees_transpile_as_sqlglots_own() -> None:
    script = "create or replace table `p`.`d`.`t` as (select 1 as a); select safe_divide(a, 0) from `p`.`d`.`t`"
    expected = sqlglot.transpile(script, read="bigquery", write="duckdb")
    uninstall = parse_cache.install()
    try:
        assert [sqlglot.transpile(script, read="bigquery", write="duckdb") for _ in range(2)] == [expected] * 2
    finally:
        uninstall()


def test_parse_errors_are_raised_every_time(parses: list[str]) -> None:
    for _ in range(2):
        with pytest.raises(sqlglot.errors.ParseError):
            sqlglot.parse_one("select (1", read="bigquery")
    assert parses.count("select (1") == 2
