"""``python -m openf1_replay.server --snapshot DIR``: serve a snapshot folder as api.openf1.org would.

Prints one line, ``serving DIR at http://HOST:PORT/v1``, once it accepts requests; logs requests to stderr;
stops cleanly on SIGTERM/SIGINT. A bad snapshot, fault spec or port exits with status 2 and a one-line error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence

import duckdb

from openf1_replay.server.faults import FaultConfig
from openf1_replay.server.ratelimit import RateLimit
from openf1_replay.server.runner import ReplayServer
from openf1_replay.snapshot import SnapshotError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m openf1_replay.server",
        description="Serve a snapshot folder over HTTP with OpenF1's query semantics, limits and failures.",
    )
    parser.add_argument("--snapshot", required=True, help="snapshot folder (<endpoint>.jsonl.gz files or folders)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument(
        "--rate-limit", default="30/10", help="REQUESTS/SECONDS per client IP, sliding window (default 30/10; 0 = off)"
    )
    parser.add_argument("--retry-after", action="store_true", help="send a Retry-After header with 429 answers")
    parser.add_argument("--faults", default="", help="fault spec, e.g. 'error_rate=0.2,burst_429=5,seed=1'")
    parser.add_argument("--db", default=None, help="DuckDB file caching the loaded snapshot across starts")
    parser.add_argument(
        "--username", default=os.environ.get("OPENF1_REPLAY_USERNAME"), help="enable POST /token for this user"
    )
    parser.add_argument(
        "--password", default=os.environ.get("OPENF1_REPLAY_PASSWORD"), help="(or env OPENF1_REPLAY_PASSWORD)"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        rate_limit = RateLimit.parse(args.rate_limit)
        faults = FaultConfig.parse(args.faults)
    except ValueError as error:
        return _fail(str(error))
    if bool(args.username) != bool(args.password):
        return _fail("--username and --password go together")
    credentials = (args.username, args.password) if args.username else None
    try:
        server = ReplayServer(
            args.snapshot,
            host=args.host,
            port=args.port,
            rate_limit=rate_limit,
            faults=faults,
            credentials=credentials,
            db_path=args.db,
            retry_after=args.retry_after,
            quiet=args.quiet,
        )
    except SnapshotError as error:
        return _fail(str(error))
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0]
        return _fail(f"cannot use --db {args.db} ({first_line}); pass another path or stop the other server")
    except OSError as error:
        return _fail(f"cannot listen on {args.host}:{args.port} ({error.strerror}); pass --port 0 for a free port")

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(f"serving {args.snapshot} at {server.base_url}", flush=True)
    stop.wait()
    server.stop()
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
