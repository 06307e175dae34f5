"""``make live``: follow a session as it runs, then hand over to ``make build``.

    python -m live --source live|<http(s)://…/v1> --warehouse warehouse/openf1.duckdb \
        --published warehouse/published/openf1.duckdb --board reports/live/board.html \
        --dbt-target target/warehouse_openf1-live [--session latest|KEY] [--transport rest|mqtt] \
        [--handover "make build …"]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from live.loop import LiveError, LiveOptions, LiveRun
from live.mqtt import DEFAULT_PORTS, MqttSettings
from live.replay import ReplayError, live_replay
from openf1_api import OpenF1Client, OpenF1Error, RateLimiter, RetryPolicy
from openf1_api.client import DEFAULT_BASE_URL

OPENF1_MQTT = "mqtts://mqtt.openf1.org:8883"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see: python -m live --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m live", description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="live", help="'live' (api.openf1.org) or a server's http(s)://…/v1 URL")
    parser.add_argument(
        "--replay", type=Path, default=None, help="a snapshot folder: follow its live-clock replay instead (offline)"
    )
    parser.add_argument("--speed", type=float, default=20.0, help="--replay: the replay clock's speed (20)")
    parser.add_argument("--session", default="latest", help="a session_key, or latest (the running or next one)")
    parser.add_argument("--transport", choices=("rest", "mqtt"), default="rest")
    parser.add_argument(
        "--mqtt-url",
        default=os.environ.get("OPENF1_MQTT_URL") or None,
        help=f"mqtts://host:port, mqtt://, wss://host:port/mqtt or ws:// (default $OPENF1_MQTT_URL; {OPENF1_MQTT} "
        "for OpenF1)",
    )
    parser.add_argument("--telemetry", action="store_true", help="also follow car_data and location")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--published", type=Path, required=True, help="the published copy (the board's sits beside)")
    parser.add_argument("--board", type=Path, required=True, help="the board page to write")
    parser.add_argument("--dbt-target", type=Path, required=True, help="dbt's target folder for the live builds")
    parser.add_argument(
        "--rate-limit", default="30/10", help="request budget REQUESTS/SECONDS, shared by every endpoint (30/10)"
    )
    parser.add_argument("--poll-seconds", type=float, default=3.0, help="seconds between fetches (3: OpenF1's cache)")
    parser.add_argument("--wait-seconds", type=float, default=30.0, help="seconds between polls before the start")
    parser.add_argument("--refresh-seconds", type=int, default=5, help="the board's meta refresh")
    parser.add_argument("--cycle-log", type=Path, default=None, help="append one JSON line per cycle here")
    parser.add_argument("--max-cycles", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--handover-file",
        type=Path,
        default=None,
        help="once the session is over, write its session_key here (make live then runs make build SESSION=<key>)",
    )
    return parser


def mqtt_settings(url: str | None, source: str) -> MqttSettings | None:
    url = url or (OPENF1_MQTT if source == "live" else None)
    if url is None:
        return None
    parts = urlsplit(url)
    transports = {
        "mqtts": ("tcp", True),
        "mqtt": ("tcp", False),
        "wss": ("websockets", True),
        "ws": ("websockets", False),
    }
    if parts.scheme not in transports or not parts.hostname:
        raise LiveError(f"OPENF1_MQTT_URL={url}: give mqtts://host:port, mqtt://, wss://host:port/mqtt or ws://")
    transport, tls = transports[parts.scheme]
    return MqttSettings(
        host=parts.hostname,
        port=parts.port or (DEFAULT_PORTS[transport] if tls else {"tcp": 1883, "websockets": 80}[transport]),
        transport=transport,
        tls=tls,
        path=parts.path or "/mqtt",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.handover_file is not None:
        args.handover_file.unlink(missing_ok=True)
    say = print if sys.stdout.isatty() else (lambda line: print(line, flush=True))
    try:
        run = LiveRun(options(args, say), client=None)
        say("Parsing the dbt project (once for the whole run) and opening the warehouse")
        run.prepare_build()
        with ExitStack() as stack:
            stack.callback(run.close)
            if args.replay is not None:
                if not args.replay.is_dir():
                    raise LiveError(f"no snapshot folder {args.replay}: give SOURCE=sample or a snapshot folder")
                say(f"Starting the live-clock replay of {args.replay} at x{args.speed:g}")
                replay = stack.enter_context(
                    live_replay(args.replay, args.speed, args.transport == "mqtt", args.session)
                )
                os.environ["OPENF1_USERNAME"], os.environ["OPENF1_PASSWORD"] = replay.username, replay.password
                args.source, args.mqtt_url = replay.base_url, replay.mqtt_url
                run.options.mqtt = mqtt_settings(args.mqtt_url, args.source) if args.transport == "mqtt" else None
            return follow(args, run, say)
    except (LiveError, ReplayError, OpenF1Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped (Ctrl-C): the warehouse keeps what was loaded; make build completes it", file=sys.stderr)
        return 130


def options(args: argparse.Namespace, say: Callable[[str], None]) -> LiveOptions:
    return LiveOptions(
        warehouse=args.warehouse,
        published=args.published,
        board=args.board,
        dbt_target=args.dbt_target,
        session=args.session,
        transport=args.transport,
        mqtt=mqtt_settings(args.mqtt_url, args.source) if args.transport == "mqtt" and args.replay is None else None,
        telemetry=args.telemetry,
        poll_s=args.poll_seconds,
        wait_poll_s=args.wait_seconds,
        refresh_s=args.refresh_seconds,
        cycle_log=args.cycle_log,
        max_cycles=args.max_cycles,
        say=say,
    )


def follow(args: argparse.Namespace, run: LiveRun, say: Callable[[str], None]) -> int:
    base_url = DEFAULT_BASE_URL if args.source == "live" else args.source
    if not base_url.startswith(("http://", "https://")):
        raise LiveError(
            f"SOURCE={args.source} is not a server: make live follows OpenF1 (SOURCE=live), a live replay's URL "
            "(make serve SNAPSHOT=… LIVE=1 prints it) or replays a snapshot itself (SOURCE=sample or a folder)"
        )
    count, _, seconds = args.rate_limit.partition("/")
    try:
        limit = RateLimiter(int(count), float(seconds or 1))
    except ValueError:
        raise LiveError(f"--rate-limit {args.rate_limit}: give REQUESTS/SECONDS, e.g. 30/10") from None
    if args.source == "live" and not (os.environ.get("OPENF1_USERNAME") and os.environ.get("OPENF1_PASSWORD")):
        raise LiveError(
            "OpenF1 serves a running session to accounts only: set OPENF1_USERNAME and OPENF1_PASSWORD "
            "(or try it offline: make live SOURCE=sample)"
        )
    run.client = OpenF1Client(
        base_url,
        rate_limit=limit,
        retry=RetryPolicy(timeout_s=20.0),
        unreachable_fix="check the network and SOURCE (make live SOURCE=live or a live replay's URL)",
        notify=say,
    )
    followed = run.follow()
    say(f"Following {followed.label} from {run.client.source_label}; the board: {args.board}")
    phase = run.run()
    if phase.value != "finished":
        say(f"Stopped following {followed.label} ({phase.value}); the board at {args.board} stays as it was")
        return 0
    say(f"{followed.label} is over: the board at {args.board} stays as the session ended")
    if args.handover_file is not None:
        # the build that takes over counts its own requests: it starts once this loop's are out of the budget's window
        waited = limit.clear_window()
        if waited >= 1:
            say(f"  waited {waited:.0f} s for the request budget's window to clear before the hand-over")
        args.handover_file.parent.mkdir(parents=True, exist_ok=True)
        args.handover_file.write_text(f"{followed.key}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
