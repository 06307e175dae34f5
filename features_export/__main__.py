"""python -m features_export --warehouse FILE --out DIR [--test-fraction 0.2]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from features_export.export import export_features


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="features_export", description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True, help="the DuckDB warehouse file")
    parser.add_argument("--out", type=Path, default=Path("features"), help="output folder (default: features/)")
    parser.add_argument(
        "--test-fraction", type=float, default=0.2, help="share of the latest race weekends held out as test"
    )
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        print(f"error: no warehouse at {args.warehouse}", file=sys.stderr)
        return 2
    if not 0 < args.test_fraction < 1:
        print("error: --test-fraction must be between 0 and 1", file=sys.stderr)
        return 2
    written = export_features(args.warehouse, args.out, args.test_fraction)
    for table, rows in written.items():
        print(f"{args.out / (table + '.parquet')}: {rows:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
