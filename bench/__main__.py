"""``python -m bench --rounds 24``: the benchmark of issue 9, stage by stage (``make bench``).

Stages (``--stages``, comma-separated, default all, in this order):

- ``simulate``: the simulator writes the season snapshot (reused when its ``_simulator.json`` matches).
- ``limit``: DuckDB's own ``read_ndjson`` of the same files into a fresh DuckDB file (``bench.limit``), and the
  replay server's start-up alone (``bench.serverstart``).
- ``ingest``: the loader, twice into one fresh warehouse: telemetry (``--telemetry --endpoints car_data,location``)
  then every light endpoint. Separate runs, not dlt's trace, because they time each class end to end
  (server start-up, HTTP, parsing, dlt extract/normalize/load) and measure each one's peak RSS.
- ``dbt``: ``dbt parse`` (no partial parse) and ``dbt build`` on that warehouse; timings from run_results.json.
- ``publish``: ``serving.publish`` of that build's marts and features (the copy readers open, and Parquet), as
  ``make build`` ends; its share of the full build (issue 16: at most 5 %).
- ``reports``: the static report rendered from it.
- ``incremental``: a base warehouse built from the snapshot minus its last round (``bench.prefix``) the way
  ``make build`` builds (one load of every endpoint with telemetry, then ``dbt build``), then the same two
  steps again on the whole snapshot, as rerunning ``make build`` after a round: only the new round's sessions
  are fetched, and the incremental models add only its sessions. Then both steps a third time, with nothing
  new to load: the fixed cost of ``make build`` (start-ups, dbt's work per node), which adding a round adds to.

Figures go to ``bench/results/latest.json`` and ``latest.md``; figures of stages not run this time are kept
from the previous run of the same scope (and say when they were measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from bench import prefix, report
from bench.measure import Step, StepFailed, run_step

STAGES = ("simulate", "limit", "ingest", "dbt", "publish", "reports", "incremental")
TELEMETRY = ("car_data", "location")
REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
DBT = str(Path(PY).with_name("dbt"))
SNAPSHOT_LAYOUT = 2  # 2: telemetry files in answer order, listed in _index.json
# figures of an earlier run are kept for the stages not rerun only when measured the same way: bump this when a
# step changes what it measures (2: dbt build without unit tests, as make transform; the rebuild with nothing new)
FIGURES_FORMAT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--all-sessions", action="store_true", help="telemetry for every session, not only races")
    parser.add_argument("--hz", type=float, default=3.7, help="telemetry sample rate (OpenF1's: 3.7)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}")
    parser.add_argument("--work", default=str(REPO / "bench" / "work"), help="snapshots, warehouses, logs")
    parser.add_argument("--results", default=str(REPO / "bench" / "results"))
    parser.add_argument("--keep", action="store_true", help="keep the warehouses after a run of every stage")
    return parser


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scope = f"r{args.rounds}-s{args.seed}-hz{args.hz:g}-{'all' if args.all_sessions else 'races'}"
        self.work = Path(args.work).resolve()
        self.logs = self.work / "logs" / self.scope
        self.snapshot = self.work / f"snapshot-{self.scope}"
        self.base_snapshot = self.work / f"snapshot-{self.scope}-base"
        self.warehouse = self.work / f"warehouse-{self.scope}.duckdb"
        self.base_warehouse = self.work / f"warehouse-{self.scope}-base.duckdb"
        self.results = Path(args.results)
        self.figures: dict[str, Any] = self._previous()

    # ------------------------------------------------------------------------------------------- bookkeeping

    def _previous(self) -> dict[str, Any]:
        path = self.results / "latest.json"
        if path.is_file():
            previous = json.loads(path.read_text(encoding="utf-8"))
            if previous.get("scope") == self.scope and previous.get("format") == FIGURES_FORMAT:
                return previous
        fresh = {"scope": self.scope, "format": FIGURES_FORMAT, "rounds": self.args.rounds}
        return fresh | {"steps": {}, "measured_at": {}}

    def record(self, stage: str, step: Step) -> None:
        self.figures["steps"][step.name] = step.as_dict() | {"stage": stage}

    def stamp(self, stage: str) -> None:
        self.figures["measured_at"][stage] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.save()

    def save(self) -> None:
        self.figures.update(report.headline(self.figures), machine=machine(), git=git_revision())
        self.results.mkdir(parents=True, exist_ok=True)
        (self.results / "latest.json").write_text(json.dumps(self.figures, indent=1) + "\n", encoding="utf-8")
        (self.results / "latest.md").write_text(report.markdown(self.figures), encoding="utf-8")

    # ------------------------------------------------------------------------------------------- commands

    def dbt_env(self, warehouse: Path, target: str) -> dict[str, str]:
        target_path = self.work / "target" / target
        return {
            "OPENF1_WAREHOUSE": str(warehouse),
            "DBT_PROFILES_DIR": str(REPO),
            "DBT_TARGET_PATH": str(target_path),
            "DBT_LOG_PATH": str(target_path / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DO_NOT_TRACK": "1",
        }

    def load(self, name: str, source: Path, warehouse: Path, telemetry: bool | None, stage: str) -> Step:
        """Load telemetry only (True), every other endpoint (False), or everything with telemetry (None)."""
        command = [PY, "-m", "dlt_pipelines.pipeline", "--source", str(source), "--warehouse", str(warehouse)]
        command += ["--telemetry", "--endpoints", ",".join(TELEMETRY)] if telemetry else []
        command += ["--telemetry"] if telemetry is None else []
        step = run_step(name, command, self.logs)
        self.record(stage, step)
        return step

    def dbt_build(self, name: str, warehouse: Path, target: str, stage: str) -> tuple[Step, dict[str, Any]]:
        env = self.dbt_env(warehouse, target)
        if stage in ("dbt", "incremental-base"):  # a fresh build parses from scratch; a rebuild reuses its parse
            shutil.rmtree(env["DBT_TARGET_PATH"], ignore_errors=True)
        warn = '{"error": ["NoNodesForSelectionCriteria"]}'
        command = [DBT, "build", "--target", "dev", "--warn-error-options", warn]
        command += ["--exclude-resource-type", "unit_test"]  # as make transform (transform/runner.py)
        step = run_step(name, command, self.logs, env)
        self.record(stage, step)
        results = json.loads((Path(env["DBT_TARGET_PATH"]) / "run_results.json").read_text(encoding="utf-8"))
        manifest = json.loads((Path(env["DBT_TARGET_PATH"]) / "manifest.json").read_text(encoding="utf-8"))
        return step, report.dbt_timings(results, manifest)

    # ------------------------------------------------------------------------------------------- stages

    def simulate(self) -> None:
        a = self.args
        marker = self.snapshot / "_simulator.json"
        wanted = {"season": 2025, "rounds": a.rounds, "seed": a.seed, "hz": a.hz, "all": a.all_sessions}
        wanted["layout"] = SNAPSHOT_LAYOUT  # a snapshot written by an older simulator is written again
        stamp = self.snapshot / ".bench.json"
        if marker.is_file() and stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == wanted:
            print(f"  simulate: reusing {self.snapshot}", file=sys.stderr)
            self.figures.setdefault("snapshot_mb", round(du(self.snapshot) / 2**20, 1))
            return
        command = [PY, "-m", "openf1_replay.simulator", "--season", "2025", "--rounds", str(a.rounds)]
        command += ["--seed", str(a.seed), "--telemetry", "all" if a.all_sessions else "races"]
        command += ["--telemetry-hz", str(a.hz), "--out", str(self.snapshot)]
        command += ["--truth", str(self.work / f"snapshot-{self.scope}.truth.json")]
        self.record("simulate", run_step("simulate", command, self.logs))
        (self.snapshot / ".bench.json").write_text(json.dumps(wanted), encoding="utf-8")
        self.figures["snapshot_mb"] = round(du(self.snapshot) / 2**20, 1)
        self.stamp("simulate")

    def limit(self) -> None:
        db = self.work / f"limit-{self.scope}.duckdb"
        step = run_step("limit_read_ndjson", [PY, "-m", "bench.limit", str(self.snapshot), str(db)], self.logs)
        self.record("limit", step)
        self.figures["limit"] = json.loads(Path(step.log).read_text(encoding="utf-8").strip().splitlines()[-1])
        db.unlink(missing_ok=True)
        step = run_step("replay_server_startup", [PY, "-m", "bench.serverstart", str(self.snapshot)], self.logs)
        self.record("limit", step)
        self.stamp("limit")

    def ingest(self) -> None:
        for path in (self.warehouse, self.warehouse.with_suffix(".duckdb.wal")):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.warehouse.parent / ".dlt" / self.warehouse.stem, ignore_errors=True)
        telemetry = self.load("load_telemetry", self.snapshot, self.warehouse, True, "ingest")
        light = self.load("load_light", self.snapshot, self.warehouse, False, "ingest")
        counts = raw_counts(self.warehouse)
        tel_rows = sum(n for t, n in counts.items() if t in TELEMETRY)
        self.figures["ingest"] = {
            "telemetry": {"rows": tel_rows, "seconds": telemetry.wall_s},
            "light": {"rows": sum(counts.values()) - tel_rows, "seconds": light.wall_s},
            "raw_rows": counts,
        }
        self.stamp("ingest")

    def dbt(self) -> None:
        env = self.dbt_env(self.warehouse, "parse")
        shutil.rmtree(env["DBT_TARGET_PATH"], ignore_errors=True)
        self.record(
            "dbt", run_step("dbt_parse", [DBT, "parse", "--no-partial-parse", "--target", "dev"], self.logs, env)
        )
        _, timings = self.dbt_build("dbt_build", self.warehouse, "full", "dbt")
        self.figures["dbt"] = timings
        self.figures["warehouse_mb"] = round(self.warehouse.stat().st_size / 2**20, 1)
        self.stamp("dbt")

    def publish(self) -> None:
        target = self.work / "target" / "full"
        # make transform records a passing build this way; publish reads nothing else
        shutil.copyfile(target / "manifest.json", target / "build_manifest.json")
        shutil.copyfile(target / "run_results.json", target / "build_results.json")
        out = self.work / "published" / f"warehouse-{self.scope}.duckdb"
        command = [PY, "-m", "serving.publish", "--warehouse", str(self.warehouse), "--dbt-target", str(target)]
        command += ["--out", str(out), "--parquet", str(out.with_suffix(""))]
        self.record("publish", run_step("publish", command, self.logs))
        self.figures["published_mb"] = round(out.stat().st_size / 2**20, 1)
        self.stamp("publish")

    def reports(self) -> None:
        out = self.work / f"reports-{self.scope}"
        command = [PY, "-m", "reports.render", "--warehouse", str(self.warehouse), "--out", str(out)]
        self.record("reports", run_step("reports", command, self.logs, check=False))
        pages = sorted(out.rglob("*.html"))
        self.figures["reports"] = {
            "pages": len(pages),
            "site_mb": round(du(out) / 2**20, 2),
            "largest_page_kb": round(max((p.stat().st_size for p in pages), default=0) / 2**10, 1),
            "pages_by_kind": {
                kind: len([p for p in pages if p.parent.name == kind])
                for kind in sorted({p.parent.name for p in pages if p.parent != out})
            },
        }
        self.stamp("reports")

    def incremental(self) -> None:
        meeting = prefix.write_prefix(self.snapshot, self.base_snapshot)
        for path in (self.base_warehouse, self.base_warehouse.with_suffix(".duckdb.wal")):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.base_warehouse.parent / ".dlt" / self.base_warehouse.stem, ignore_errors=True)
        base = [
            self.load("base_load", self.base_snapshot, self.base_warehouse, None, "incremental-base"),
            self.dbt_build("base_dbt_build", self.base_warehouse, "base", "incremental-base")[0],
        ]
        add = [self.load("add_load", self.snapshot, self.base_warehouse, None, "incremental-add")]
        step, timings = self.dbt_build("add_dbt_build", self.base_warehouse, "base", "incremental-add")
        add.append(step)
        # the same two steps once more, with nothing new: the fixed cost of a make build, under any added round
        noop = [self.load("noop_load", self.snapshot, self.base_warehouse, None, "incremental-noop")]
        step, noop_timings = self.dbt_build("noop_dbt_build", self.base_warehouse, "base", "incremental-noop")
        noop.append(step)
        self.figures["incremental"] = {
            "added_meeting_key": meeting,
            "base_build_s": round(sum(s.wall_s for s in base), 2),
            "add_steps_s": {s.name: s.wall_s for s in add},
            "add_dbt": timings,
            "noop_steps_s": {s.name: s.wall_s for s in noop},
            "noop_dbt": noop_timings,
        }
        self.stamp("incremental")

    def cleanup(self) -> None:
        if self.args.keep:
            return
        for path in (self.base_snapshot, self.work / "target", self.work / "published"):
            shutil.rmtree(path, ignore_errors=True)
        for path in self.work.glob("warehouse-*.duckdb*"):
            path.unlink()
        shutil.rmtree(self.work / ".dlt", ignore_errors=True)


def raw_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_openf1' "
            "and table_name not like '\\_dlt%' escape '\\'"
        ).fetchall()
        return {t: connection.execute(f'select count(*) from raw_openf1."{t}"').fetchone()[0] for (t,) in tables}  # type: ignore[index]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    memory = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**20, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "os": platform.platform(terse=True),
    }


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True)
    except OSError:
        return "?"
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not 1 <= args.rounds <= 24 or (args.rounds < 2 and "incremental" in stages):
        print(f"error: stages {','.join(STAGES)}; rounds 1-24 (2+ with incremental); got {args}", file=sys.stderr)
        return 2
    os.chdir(REPO)
    bench = Bench(args)
    bench.work.mkdir(parents=True, exist_ok=True)
    try:
        for stage in STAGES:
            if stage in stages:
                print(f"[{stage}] {bench.scope}", file=sys.stderr, flush=True)
                getattr(bench, stage)()
    except StepFailed as error:
        bench.save()
        print(f"error: {error}", file=sys.stderr)
        return 1
    bench.save()
    if set(stages) == set(STAGES):
        bench.cleanup()
    print((bench.results / "latest.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
