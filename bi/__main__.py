"""``python -m bi PUBLISHED --dbt-target DIR`` (make bi-check): set up .venv-bi, then run bi.check in it.

Runs under .venv's python (standard library only); the check itself runs under .venv-bi's.
"""

from __future__ import annotations

import subprocess
import sys

from bi import environment


def main(argv: list[str] | None = None) -> int:
    try:
        python = environment.ensure()
    except environment.SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    command = [str(python), "-m", "bi.check", *(sys.argv[1:] if argv is None else argv)]
    return subprocess.run(command, cwd=environment.ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
