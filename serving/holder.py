"""Stop in one line when another process holds the working warehouse file.

DuckDB allows one writer or many readers per file. A BI tool or a shell left open on the working file makes
every build fail deep inside dlt or dbt with a long traceback; this check runs first and names the process.

    python -m serving.holder warehouse/openf1.duckdb --published warehouse/published/openf1.duckdb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from dlt_pipelines.warehouse import LOCK_HOLDER, command_line, held_message

__all__ = ["LOCK_HOLDER", "check_writable", "command_line", "lock_holder_message"]


def lock_holder_message(warehouse: Path, error: str, published: Path | None = None) -> str | None:
    """The one-line explanation of a DuckDB lock error on ``warehouse``, or None when ``error`` is not one: the
    loader's wording (``dlt_pipelines.warehouse``, its one home), with where readers belong."""
    held = held_message(warehouse, error)
    if held is None:
        return None
    readers = f"; readers (BI tools, make query, make sql) belong on {published}" if published else ""
    return f"error: {held}{readers}"


def check_writable(warehouse: Path, published: Path | None = None) -> str | None:
    """None when this process could open ``warehouse`` for writing now, else the one-line reason."""
    if not warehouse.exists():
        return None
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as error:
        return lock_holder_message(warehouse, str(error), published) or f"error: cannot open {warehouse}: {error}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path, help="the working DuckDB file a command is about to write")
    parser.add_argument("--published", type=Path, help="its published copy, named in the advice")
    args = parser.parse_args(argv)
    problem = check_writable(args.warehouse, args.published)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
