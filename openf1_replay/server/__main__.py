"""``python -m openf1_replay.server --snapshot DIR``: serve a snapshot folder as api.openf1.org would.

Prints one line, ``serving DIR at http://HOST:PORT/v1``, once it accepts requests; logs requests to stderr;
stops cleanly on SIGTERM/SIGINT. A bad snapshot, fault spec or port exits with status 2 and a one-line error.
``--live`` serves the snapshot as if a session were running now (``live.py``): it then prints a second line,
``live: following session K ...``, with the virtual clock's start and origin (pass both again to continue it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from openf1_replay.server.faults import FaultConfig
from openf1_replay.server.live import LiveError, LiveSettings, parse_time
from openf1_replay.server.mqtt import split_address
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
    live = parser.add_argument_group("live clock (--live)")
    live.add_argument("--live", action="store_true", help="serve only what a running session has shown so far")
    live.add_argument("--speed", type=float, default=20.0, help="virtual seconds per real second (default 20)")
    live.add_argument(
        "--start",
        default=None,
        help="virtual time at the clock origin, ISO (default: 2 min before the followed session's first record)",
    )
    live.add_argument("--session", type=int, default=None, help="the followed session (default: the last Race)")
    live.add_argument("--token-seconds", type=float, default=3600.0, help="token lifetime, real seconds (3600)")
    live.add_argument(
        "--reschedule-minutes",
        type=float,
        default=0.0,
        help="move the followed session's listed schedule by N minutes (N>0: it starts early)",
    )
    live.add_argument(
        "--clock-origin",
        type=float,
        default=None,
        help="epoch seconds at which virtual time was --start (default: now; reuse to continue a clock)",
    )
    live.add_argument("--mqtt", default=None, help="HOST:PORT of an MQTT broker to publish every record to")
    live.add_argument("--mqtt-username", default=None, help="the publisher's MQTT login")
    live.add_argument("--mqtt-password", default=None, help="the publisher's MQTT password")
    live.add_argument("--mqtt-passwd-file", default=None, help="mosquitto password file: every token is added")
    live.add_argument("--mqtt-broker-pid", type=int, default=None, help="mosquitto's pid, HUPed after each token")
    return parser


def _live_settings(args: argparse.Namespace) -> LiveSettings | None:
    """The live settings, or None without --live; ValueError naming the fix for a bad combination."""
    live_only = ("start", "session", "clock_origin", "mqtt", "mqtt_passwd_file", "mqtt_broker_pid")
    if not args.live:
        given = [f"--{name.replace('_', '-')}" for name in live_only if getattr(args, name) is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)}: only with --live; add --live or drop {'it' if len(given) == 1 else 'them'}"
            )
        return None
    if not args.username:
        raise ValueError("--live needs --username and --password: clients need a token while the session runs")
    if args.mqtt:
        split_address(args.mqtt)
    try:
        start = parse_time(args.start) if args.start else None
    except ValueError:
        raise ValueError(f"bad --start {args.start!r}: use an ISO datetime, e.g. 2025-03-30T06:40:00Z") from None
    return LiveSettings(
        speed=args.speed,
        start=start,
        session=args.session,
        token_seconds=args.token_seconds,
        reschedule_minutes=args.reschedule_minutes,
        clock_origin=args.clock_origin,
        mqtt=args.mqtt,
        mqtt_username=args.mqtt_username,
        mqtt_password=args.mqtt_password,
        mqtt_passwd_file=Path(args.mqtt_passwd_file) if args.mqtt_passwd_file else None,
        mqtt_broker_pid=args.mqtt_broker_pid,
    )


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
    try:
        live = _live_settings(args)
    except ValueError as error:
        return _fail(str(error))
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
            live=live,
        )
    except (SnapshotError, LiveError) as error:
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
    if server.live is not None:
        clock = server.live.clock
        start = datetime.fromtimestamp(clock.start, UTC).isoformat()
        print(
            f"live: {server.live.describe()}; continue this clock with --start {start} "
            f"--clock-origin {clock.origin:.3f}",
            flush=True,
        )
    stop.wait()
    server.stop()
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
