"""``python -m superset_bi``: install, provision and serve Superset on the published copy until Ctrl-C.

``python -m superset_bi lock`` re-pins superset_bi/requirements.lock; ``install`` only installs .venv-superset.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from superset_bi import venv
from superset_bi.server import running_superset
from superset_bi.venv import SupersetError

DASHBOARD_SLUG = "openf1-season"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C and a plain kill both stop the server cleanly, also when started in the background (which ignores
    # SIGINT unless told otherwise)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(prog="python -m superset_bi", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("serve", "install", "lock"), default="serve")
    parser.add_argument("--published", type=Path, default=Path("warehouse/published/openf1.duckdb"))
    parser.add_argument("--home", type=Path, default=Path("warehouse/superset"), help="Superset's working folder")
    parser.add_argument("--port", type=int, default=8088)
    args = parser.parse_args(argv)
    try:
        if args.command == "lock":
            venv.lock()
        elif args.command == "install":
            venv.ensure_venv()
        else:
            with running_superset(args.published, args.home, args.port) as superset:
                print("")
                print(f"Superset:  {superset.url}   (serving {args.published}, read-only; Ctrl-C stops it)")
                print(f"Login:     {superset.user} / {superset.password}   (kept in {args.home}/admin_password)")
                print(f"Dashboard: {superset.url}/superset/dashboard/{DASHBOARD_SLUG}/")
                print(f"SQL Lab:   {superset.url}/sqllab/   (database 'OpenF1 (published)', schemas marts, features)")
                print(f"Log:       {superset.log}")
                while True:
                    time.sleep(3600)
    except SupersetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nSuperset stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
