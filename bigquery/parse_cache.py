"""Parse each SQL text once in the emulator: ``install()`` puts a cache of parse trees behind sqlglot.

bqemulator 1.4.0 hands one statement to ``sqlglot.parse_one`` a dozen and more times (the translator, each
rewriter, the catalog sync, the DDL result, ...): parsing was three quarters of the emulator's time on
``make test-bigquery`` (py-spy). ``Dialect.parse``, behind ``sqlglot.parse_one``, ``parse`` and
``transpile``, then keeps the trees of the last ``size`` texts by dialect and text, and every caller gets its
own copy (``Expression.copy``, about a sixth of a parse): what each step sees, and may change, is what parsing
would have given it. Parse errors are not kept: the same text raises again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

from sqlglot.dialects.dialect import Dialect

STATEMENTS_KEPT = 256  # distinct SQL texts; dbt sends a statement, then its rewrites, several times in a row


def install(size: int = STATEMENTS_KEPT) -> Callable[[], None]:
    """Cache ``Dialect.parse``; returns the function that puts the uncached one back."""
    parse = Dialect.parse

    @lru_cache(maxsize=size)
    def parsed(dialect: Dialect, state: Hashable, sql: str, opts: tuple[tuple[str, Any], ...]) -> tuple[Any, ...]:
        return tuple(parse(dialect, sql, **dict(opts)))

    def parse_once(self: Dialect, sql: str, **opts: Any) -> list[Any]:
        # dialects compare by class: their settings are part of the key
        state = (type(self), self.normalization_strategy, self.version)
        try:
            # transpile passes error_level=None, parse_one nothing: the same parser (ErrorLevel.IMMEDIATE)
            options = tuple(sorted((k, v) for k, v in opts.items() if (k, v) != ("error_level", None)))
            trees = parsed(self, state, sql, options)
        except TypeError:  # an option that cannot be a cache key: parse as sqlglot would
            return parse(self, sql, **opts)
        return [None if tree is None else tree.copy() for tree in trees]

    def uninstall() -> None:
        Dialect.parse = parse

    Dialect.parse = parse_once
    return uninstall
