"""Command line: ``python -m openf1_replay.simulator --season 2025 --rounds 4 --seed 7 --out DIR``."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from openf1_replay.simulator.amend import AMEND_KINDS
from openf1_replay.simulator.season import TELEMETRY_MODES, simulate
from openf1_replay.simulator.writer import SimulatorError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m openf1_replay.simulator",
        description="Simulate an OpenF1 season into a snapshot folder (every endpoint), plus a ground-truth sidecar.",
    )
    parser.add_argument("--season", type=int, required=True, help="season year, 2023 or later")
    parser.add_argument("--rounds", type=int, required=True, help="number of rounds, 1-24")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); same arguments, same bytes")
    parser.add_argument(
        "--out", required=True, help="snapshot folder to write (new, empty, or an earlier simulator output)"
    )
    parser.add_argument(
        "--telemetry",
        choices=TELEMETRY_MODES,
        default="races",
        help="car_data/location for races (default), all sessions, or none",
    )
    parser.add_argument("--telemetry-hz", type=float, default=3.7, help="telemetry sample rate (default 3.7)")
    parser.add_argument(
        "--truth", default=None, help="ground-truth JSON file (default: <OUT>.truth.json beside the folder)"
    )
    parser.add_argument(
        "--cancelled-round", type=int, default=None, help="mark this round's meeting and sessions cancelled"
    )
    parser.add_argument(
        "--amend",
        nargs="?",
        const="both",
        choices=AMEND_KINDS,
        default=None,
        help="also write <OUT>.amended/: the snapshot after a stewards' decision published hours after a race "
        "(a time penalty, a disqualification, or both: the default)",
    )
    parser.add_argument(
        "--amend-round", type=int, default=None, help="the round whose race --amend amends (default: the last one)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        summary = simulate(
            args.season,
            args.rounds,
            args.seed,
            args.out,
            telemetry=args.telemetry,
            telemetry_hz=args.telemetry_hz,
            truth_path=args.truth,
            cancelled_round=args.cancelled_round,
            amend=args.amend,
            amend_round=args.amend_round,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except SimulatorError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    rows = " ".join(f"{endpoint}={count}" for endpoint, count in summary["rows"].items())
    amended = f"; amended snapshot: {summary['amended']}" if "amended" in summary else ""
    print(f"wrote {summary['out']} in {summary['seconds']} s (truth: {summary['truth']}{amended}): {rows}")
    return 0
