"""Replay server start-up: ``python -m bench.serverstart SNAPSHOT`` starts the server the way the loader does
(``--port 0 --rate-limit 0``), waits for its "serving ... at URL" line, stops it and prints the seconds."""

from __future__ import annotations

import json
import subprocess
import sys
import time


def measure(root: str) -> float:
    command = [sys.executable, "-m", "openf1_replay.server", "--snapshot", root, "--port", "0", "--rate-limit", "0"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("serving "):
                return time.perf_counter() - started
        raise RuntimeError(f"the replay server exited without serving {root}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # never leave a server behind
            process.kill()
            process.wait()


if __name__ == "__main__":
    print(json.dumps({"seconds": round(measure(sys.argv[1]), 3)}))
