"""python -m whatif: the strategy engine's race time for another strategy, and the position it implies.

``make whatif SESSION=<key>|latest DRIVER=<number> STRATEGY="M:1-18,H:19-57"`` passes its variables through the
environment (OPENF1_WHATIF_SESSION, OPENF1_WHATIF_DRIVER, OPENF1_WHATIF_STRATEGY, OPENF1_PUBLISHED), never a
shell line; the options below override them. Reads the published copy, read-only. Exit status: 0 done, 1 the
what-if cannot be answered (one line on stderr naming the cause and the fix), 2 a malformed strategy.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb
import yaml

from sqlcli.database import DEFAULT_PUBLISHED, NotPublished, open_published
from whatif.printout import render
from whatif.query import WhatIfError, what_if
from whatif.strategy import StrategyError, notes, parse

ROOT = Path(__file__).resolve().parents[1]


def min_stint_laps() -> int:
    """The search's shortest stint: dbt var strategy_min_stint_laps (its one home is dbt_project.yml)."""
    return int(yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]["strategy_min_stint_laps"])


def arguments(argv: list[str] | None) -> argparse.Namespace:
    environ = os.environ
    parser = argparse.ArgumentParser(prog="python -m whatif", description=__doc__.splitlines()[0])
    parser.add_argument("--session", default=environ.get("OPENF1_WHATIF_SESSION"), help="session_key or latest")
    parser.add_argument("--driver", default=environ.get("OPENF1_WHATIF_DRIVER"), help="car number (or code) in it")
    parser.add_argument("--strategy", default=environ.get("OPENF1_WHATIF_STRATEGY"), help='e.g. "M:1-18,H:19-57"')
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(environ.get("OPENF1_PUBLISHED") or DEFAULT_PUBLISHED),
        help="the published copy (env OPENF1_PUBLISHED)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        stints = parse(args.strategy)
        connection = open_published(args.database)
        try:
            result = what_if(connection, args.session, args.driver, stints)
        finally:
            connection.close()
    except StrategyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (NotPublished, WhatIfError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"error: reading {args.database}: {first}: run make build to publish a current copy", file=sys.stderr)
        return 1
    sys.stdout.write(
        render(result, notes(stints, min_stint_laps()), colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
