"""bqemulator's command line with our workarounds for its gaps. Runs in .venv-bqemulator, not .venv.

``python bigquery/serve_emulator.py start --rest-port 0 ...`` is ``bqemulator start ...`` except that:

- ``CREATE TABLE t (columns) AS (SELECT ...)``, the statement dbt-bigquery issues for every model with an
  enforced contract, works. bqemulator rewrites the form without parentheses for DuckDB (which cannot
  create a table from a column list and a query at once) but not the parenthesised one dbt writes
  (1.4.0: ``create_table_schema_ctas._first_select`` does not look inside a subquery). Real BigQuery
  accepts both; here the parenthesised query is unwrapped before bqemulator's own rewrite.
- each SQL text is parsed once, not once per rewrite step (``bigquery/parse_cache.py``): bqemulator parses
  every statement a dozen and more times, three quarters of its time.
"""

from __future__ import annotations

import sys

import parse_cache  # beside this file (sys.path[0]); .venv-bqemulator has no `bigquery` package
from bqemulator.cli import main
from bqemulator.sql.rewriter import create_table_schema_ctas
from sqlglot import exp

_first_select = create_table_schema_ctas._first_select


def _first_select_in_parentheses(body: exp.Expression | None) -> exp.Select | None:
    while isinstance(body, exp.Subquery):
        body = body.this
    return _first_select(body)


create_table_schema_ctas._first_select = _first_select_in_parentheses

parse_cache.install()

if __name__ == "__main__":
    sys.exit(main())
