"""The limit: DuckDB's own ``read_ndjson`` of the snapshot files into tables of a fresh DuckDB file.

``python -m bench.limit SNAPSHOT DB`` prints one JSON object: per endpoint class (telemetry, light) the rows
and seconds it took to read every file of that class into a table, in one process and one connection.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from openf1_replay import snapshot


def _files_sql(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"


def measure(root: Path, db: Path) -> dict[str, dict[str, object]]:
    db.unlink(missing_ok=True)
    connection = duckdb.connect(str(db))
    connection.execute("set enable_progress_bar = false")
    result: dict[str, dict[str, object]] = {}
    rescanned: list[str]
    try:
        for kind in ("telemetry", "light"):
            rows, seconds, rescanned = 0, 0.0, []
            for endpoint in snapshot.endpoints_in(root):
                if (endpoint in snapshot.TELEMETRY_ENDPOINTS) != (kind == "telemetry"):
                    continue
                files = snapshot.endpoint_files(root, endpoint)
                started = time.perf_counter()
                try:
                    connection.execute(f'create table "{endpoint}" as select * from read_ndjson({_files_sql(files)})')
                except duckdb.InvalidInputException:
                    # a field of mixed JSON types past the first 20k rows (intervals' "+1 LAP"): detect the
                    # types on every row instead, as the loader's catalogue knows them up front
                    connection.execute(
                        f'create or replace table "{endpoint}" as '
                        f"select * from read_ndjson({_files_sql(files)}, sample_size = -1)"
                    )
                    rescanned.append(endpoint)
                seconds += time.perf_counter() - started
                rows += connection.execute(f'select count(*) from "{endpoint}"').fetchone()[0]  # type: ignore[index]
            result[kind] = {"rows": rows, "seconds": round(seconds, 3), "full_type_scan": rescanned}
    finally:
        connection.close()
    return result


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), Path(sys.argv[2]))))
