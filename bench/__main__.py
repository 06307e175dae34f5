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

from bench import prefix, report, seasons
from bench.measure import Step, StepFailed, run_step

STAGES = ("simulate", "limit", "ingest", "dbt", "publish", "reports", "incremental", "requests", "feedback")
BUILD_STAGES = ("ingest", "dbt", "publish", "reports", "incremental")  # those that build and read the warehouses
TELEMETRY = ("car_data", "location")
REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
DBT = str(Path(PY).with_name("dbt"))
SNAPSHOT_LAYOUT = 2  # 2: telemetry files in answer order, listed in _index.json
# figures of an earlier run are kept for the stages not rerun only when measured the same way: bump this when a
# step changes what it measures (2: dbt build without unit tests, as make transform; the rebuild with nothing new)
FIGURES_FORMAT = 3  # 3: builds through make (load, transform; nothing new: make build)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--seasons", type=int, default=1, help="seasons kept, up to 2025 (3: 2023-2025)")
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
        self.scope = scope_name(args.seasons, args.rounds, args.seed, args.hz, args.all_sessions)
        # the same warehouse with one season: what adding a round to it costs is the yardstick (issue 21)
        self.one_season_scope = scope_name(1, args.rounds, args.seed, args.hz, args.all_sessions)
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
        path = self.results / f"{self.scope}.json"
        if not path.is_file():
            path = self.results / "latest.json"
        if path.is_file():
            previous = json.loads(path.read_text(encoding="utf-8"))
            if previous.get("scope") == self.scope and previous.get("format") == FIGURES_FORMAT:
                return previous
        fresh = {"scope": self.scope, "format": FIGURES_FORMAT, "rounds": self.args.rounds}
        fresh["seasons"] = self.args.seasons
        return fresh | {"steps": {}, "measured_at": {}}

    def record(self, stage: str, step: Step) -> None:
        self.figures["steps"][step.name] = step.as_dict() | {"stage": stage}

    def stamp(self, stage: str) -> None:
        self.figures["measured_at"][stage] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.save()

    def save(self) -> None:
        self.figures.update(report.headline(self.figures), machine=machine(), git=git_revision())
        one_season = self.results / f"{self.one_season_scope}.json"
        if self.args.seasons > 1 and one_season.is_file():
            self.figures["one_season"] = report.headline(json.loads(one_season.read_text(encoding="utf-8")))
        self.figures["make_test"] = report.recorded_make_test(self.results)
        self.results.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.figures, indent=1) + "\n"
        for name in (self.scope, "latest"):  # each scope's own, and the last run's
            (self.results / f"{name}.json").write_text(text, encoding="utf-8")
            (self.results / f"{name}.md").write_text(report.markdown(self.figures), encoding="utf-8")

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
        """Load telemetry only (True), every other endpoint (False), or everything with telemetry (None: ``make
        load TELEMETRY=1``, as make build loads)."""
        if telemetry is None:
            command = ["make", "load", f"SOURCE={source}", "TELEMETRY=1", *self.make_args(warehouse, "base")]
        else:
            command = [PY, "-m", "dlt_pipelines.pipeline", "--source", str(source), "--warehouse", str(warehouse)]
            command += ["--telemetry", "--endpoints", ",".join(TELEMETRY)] if telemetry else []
        step = run_step(name, command, self.logs)
        self.record(stage, step)
        return step

    def make_args(self, warehouse: Path, target: str) -> list[str]:
        """``make`` on a bench warehouse with its own dbt target, published copy and report folder."""
        target_path = self.work / "target" / target
        return [
            f"WAREHOUSE={warehouse}",
            f"DBT_TARGET_PATH={target_path}",
            f"DBT_LOG_PATH={target_path / 'logs'}",
            f"REPORT_DIR={self.work / f'reports-{target}-{self.scope}'}",
        ]

    def dbt_build(self, name: str, warehouse: Path, target: str, stage: str) -> tuple[Step, dict[str, Any]]:
        """``make transform``: what make build runs (dbt build of seeds, models and data tests, its records, the
        key checks; nothing when nothing is new)."""
        env = self.dbt_env(warehouse, target)
        if stage in ("dbt", "incremental-base"):  # a fresh build parses from scratch
            shutil.rmtree(env["DBT_TARGET_PATH"], ignore_errors=True)
        step = run_step(name, ["make", "transform", *self.make_args(warehouse, target)], self.logs)
        self.record(stage, step)
        results = json.loads((Path(env["DBT_TARGET_PATH"]) / "run_results.json").read_text(encoding="utf-8"))
        manifest = json.loads((Path(env["DBT_TARGET_PATH"]) / "manifest.json").read_text(encoding="utf-8"))
        return step, report.dbt_timings(results, manifest)

    # ------------------------------------------------------------------------------------------- stages

    def simulate(self) -> None:
        if self.args.seasons > 1 or self.args.all_sessions:  # a one-season all-sessions bench reuses 2025's
            return self.simulate_seasons()
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

    def simulate_seasons(self) -> None:
        """Each season simulated (or reused), then side by side in one snapshot (``bench.seasons``)."""
        a = self.args
        folders = []
        for season in seasons.seasons(a.seasons):
            folder, step = seasons.simulate_season(
                season, self.work / "seasons", a.rounds, a.seed, a.hz, a.all_sessions, self.logs
            )
            if step is not None:
                self.record("simulate", step)
            folders.append(folder)
        seasons.assemble(folders, self.snapshot)
        self.figures["snapshot_mb"] = round(sum(du(folder) for folder in folders) / 2**20, 1)
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
        target = self.work / "target" / "full"  # make transform recorded the passing build there
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
        # make build publishes and renders the added round; then make build once more, with nothing new
        build = ["make", "build", f"SOURCE={self.snapshot}", "TELEMETRY=1"]
        build += self.make_args(self.base_warehouse, "base")
        self.record("incremental-add", run_step("add_publish_reports", build, self.logs))
        noop = run_step("noop_make_build", build, self.logs)
        self.record("incremental-noop", noop)
        said = Path(noop.log).read_text(encoding="utf-8").splitlines()
        self.figures["incremental"] = {
            "added_meeting_key": meeting,
            "base_build_s": round(sum(s.wall_s for s in base), 2),
            "add_steps_s": {s.name: s.wall_s for s in add},
            "add_dbt": timings,
            "noop_make_build_s": noop.wall_s,
            "noop_said": [line for line in said if "skipped" in line],
        }
        self.stamp("incremental")

    def requests(self) -> None:
        """The requests a season takes from the live API, and their time at the free tier (``bench.requests``)."""
        step = run_step("requests", [PY, "-m", "bench.requests", str(self.snapshot)], self.logs)
        self.record("requests", step)
        self.figures["requests"] = json.loads(Path(step.log).read_text(encoding="utf-8").strip().splitlines()[-1])
        self.stamp("requests")

    def feedback(self) -> None:
        """How long the inner loop and a new user's first build take: ``make test-fast`` here, and ``make build``
        in a fresh clone of this commit (its venv from PyPI with an empty uv cache, as on a new machine)."""
        self.record("feedback", run_step("make_test_fast", ["make", "test-fast"], self.logs))
        clone = self.work / "fresh-clone"
        shutil.rmtree(clone, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        cache = self.work / "fresh-uv-cache"
        shutil.rmtree(cache, ignore_errors=True)
        first = ["make", "-C", str(clone), "build"]
        self.record("feedback", run_step("first_build_fresh_clone", first, self.logs, {"UV_CACHE_DIR": str(cache)}))
        shutil.rmtree(clone, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        self.stamp("feedback")

    def cleanup(self) -> None:
        if self.args.keep:
            return
        for path in (self.base_snapshot, self.work / "target", self.work / "published"):
            shutil.rmtree(path, ignore_errors=True)
        for path in self.work.glob("warehouse-*.duckdb*"):
            path.unlink()
        shutil.rmtree(self.work / ".dlt", ignore_errors=True)


def scope_name(seasons_kept: int, rounds: int, seed: int, hz: float, all_sessions: bool) -> str:
    one = f"r{rounds}-s{seed}-hz{hz:g}-{'all' if all_sessions else 'races'}"
    return one if seasons_kept == 1 else f"y{seasons_kept}-{one}"


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
    if not 1 <= args.seasons <= 3:
        print(f"error: --seasons {args.seasons}: give 1 to 3 (seasons up to 2025 from 2023)", file=sys.stderr)
        return 2
    os.chdir(REPO)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL"):  # its makes are a user's, not make bench's
        os.environ.pop(name, None)
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
    if set(BUILD_STAGES) <= set(stages):  # a run that built both warehouses leaves none behind
        bench.cleanup()
    print((bench.results / "latest.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
