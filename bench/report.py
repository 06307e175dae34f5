"""The figures: headline keys of ``latest.json``, dbt timings from run_results.json, and the Markdown table."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

BUILD_STEPS = ("load_telemetry", "load_light", "dbt_build")  # snapshot -> marts and features, built and tested
ADD_STEPS = ("add_load", "add_dbt_build")  # make build after a round: one load of everything, dbt build
NOOP_STEPS = ("noop_make_build",)  # make build again with nothing new: everything it does then
MAKE_TEST = "make-test.json"  # make test's own record of its last run (the Makefile writes it)


STRATEGY_FOLDER = "/strategy/"  # the strategy engine: models/intermediate/strategy, models/marts/strategy


def strategy_node(unique_id: str, manifest: dict[str, Any]) -> bool:
    """A node of the strategy engine: a model in a strategy folder, or a test attached to one."""
    nodes = manifest.get("nodes", {}) | manifest.get("unit_tests", {})
    node = nodes.get(unique_id, {})
    path = node.get("original_file_path", "")
    attached = node.get("attached_node") or ""
    if attached:
        path = nodes.get(attached, {}).get("original_file_path", path)
    return STRATEGY_FOLDER in path


def dbt_timings(results: dict[str, Any], manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Thread-seconds per resource type (dbt runs 4 threads, so they sum past the wall time), the
    slowest 10 models, the statuses, and the strategy engine's thread-seconds (given the manifest)."""
    seconds: dict[str, float] = defaultdict(float)
    statuses: dict[str, int] = defaultdict(int)
    models = []
    strategy_s = 0.0
    for result in results["results"]:
        kind = result["unique_id"].split(".", 1)[0]
        seconds[kind] += result["execution_time"]
        statuses[result["status"]] += 1
        if kind == "model":
            models.append((result["execution_time"], result["unique_id"].rsplit(".", 1)[1]))
        if manifest is not None and strategy_node(result["unique_id"], manifest):
            strategy_s += result["execution_time"]
    models.sort(reverse=True)
    total_s = sum(seconds.values())
    return {
        "strategy_thread_s": round(strategy_s, 2) if manifest is not None else None,
        "strategy_share": round(strategy_s / total_s, 3) if manifest is not None and total_s else None,
        "elapsed_s": round(results["elapsed_time"], 2),
        "thread_s": {k: round(v, 2) for k, v in sorted(seconds.items())},
        "run_thread_s": round(seconds["model"] + seconds["seed"], 2),
        "test_thread_s": round(seconds["test"] + seconds["unit_test"], 2),
        "statuses": dict(statuses),
        "slowest_models": [{"model": name, "seconds": round(t, 2)} for t, name in models[:10]],
    }


def _rate(block: dict[str, Any] | None) -> float | None:
    if not block or not block.get("seconds"):
        return None
    return round(block["rows"] / block["seconds"])


def headline(figures: dict[str, Any]) -> dict[str, Any]:
    """The keys issue 9 asks for, computed from whatever stages have been measured (None where not yet)."""
    steps = figures.get("steps", {})
    ingest, limit = figures.get("ingest", {}), figures.get("limit", {})
    out: dict[str, Any] = {
        "telemetry_rows": ingest.get("telemetry", {}).get("rows"),
        "ingest_rows_per_s": _rate(ingest.get("telemetry")),
        "limit_rows_per_s": _rate(limit.get("telemetry")),
        "ingest_light_rows_per_s": _rate(ingest.get("light")),
        "limit_light_rows_per_s": _rate(limit.get("light")),
        "dbt_build_s": steps.get("dbt_build", {}).get("wall_s"),
        "dbt_parse_s": steps.get("dbt_parse", {}).get("wall_s"),
        "full_build_s": _total(steps, BUILD_STEPS),
        "incremental_build_s": _total(steps, ADD_STEPS),
        "noop_build_s": _total(steps, NOOP_STEPS),
        "publish_s": steps.get("publish", {}).get("wall_s"),
        "reports_s": steps.get("reports", {}).get("wall_s"),
        "peak_rss_mb": max((s["peak_rss_mb"] for s in steps.values()), default=None),
        "test_fast_s": steps.get("make_test_fast", {}).get("wall_s"),
        "first_build_s": steps.get("first_build_fresh_clone", {}).get("wall_s"),
    }
    if out["ingest_light_rows_per_s"] and out["limit_light_rows_per_s"]:
        out["ingest_light_ratio"] = round(out["ingest_light_rows_per_s"] / out["limit_light_rows_per_s"], 3)
    else:
        out["ingest_light_ratio"] = None
    if out["ingest_rows_per_s"] and out["limit_rows_per_s"]:
        out["ingest_ratio"] = round(out["ingest_rows_per_s"] / out["limit_rows_per_s"], 3)
    else:
        out["ingest_ratio"] = None
    for key, part in (
        ("incremental", out["incremental_build_s"]),
        ("noop", out["noop_build_s"]),
        ("publish", out["publish_s"]),
    ):
        full = out["full_build_s"]
        out[f"{key}_ratio"] = round(part / full, 3) if part and full else None
    return out


def recorded_make_test(results: Path) -> dict[str, Any] | None:
    """``make test``'s last complete run, as the Makefile recorded it (seconds, when, which commit)."""
    try:
        return json.loads((results / MAKE_TEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _total(steps: dict[str, Any], names: tuple[str, ...]) -> float | None:
    if not all(n in steps for n in names):
        return None
    return round(sum(steps[n]["wall_s"] for n in names), 2)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:,.0f}{unit}" if abs(value) >= 100 else f"{value:,.2f}{unit}"
    return f"{value}{unit}"


def _verdict(value: Any, limit: float, at_most: bool = True) -> str:
    if value is None:
        return "not measured"
    return "met" if (value <= limit if at_most else value >= limit) else "**short**"


def targets(f: dict[str, Any]) -> list[str]:
    """Issue 21's targets: each figure beside its target, and whether it is met."""
    one = f.get("one_season") or {}
    add, full = f.get("incremental_build_s"), f.get("full_build_s")
    one_add = one.get("incremental_build_s")
    add_vs_one = round(add / one_add, 2) if add and one_add else None
    incremental = f.get("incremental", {})
    make_test = f.get("make_test") or {}
    requests = f.get("requests") or {}
    rows = [
        (
            "snapshot → every mart and feature built and tested, s (both loads + make transform)",
            full,
            "≤ 720",
            _verdict(full, 720),
        ),
        (
            "peak RSS, largest process of any step, MB",
            f.get("peak_rss_mb"),
            "≤ 4096",
            _verdict(f.get("peak_rss_mb"), 4096),
        ),
        (
            "warehouse file / published copy / snapshot, MB",
            f"{_fmt(f.get('warehouse_mb'))} / {_fmt(f.get('published_mb'))} / {_fmt(f.get('snapshot_mb'))}",
            "printed",
            "",
        ),
        ("add a round, s (make load + make transform on the built warehouse)", add, "", ""),
        (f"… vs adding it to one season ({_fmt(one_add)} s)", add_vs_one, "≤ 1.2×", _verdict(add_vs_one, 1.2)),
        ("… share of the full build", f.get("incremental_ratio"), "≤ 0.05", _verdict(f.get("incremental_ratio"), 0.05)),
        ("make build with nothing new, s", f.get("noop_build_s"), "≤ 3", _verdict(f.get("noop_build_s"), 3)),
        (
            "telemetry ingest / DuckDB read_ndjson of the same files",
            f.get("ingest_ratio"),
            "≥ 0.8",
            _verdict(f.get("ingest_ratio"), 0.8, False),
        ),
        (
            "light endpoints ingest / their limit",
            f.get("ingest_light_ratio"),
            "≥ 0.5",
            _verdict(f.get("ingest_light_ratio"), 0.5, False),
        ),
    ]
    if requests:
        check = requests.get("check") or {}
        rows += [
            (
                "live API: light requests (one per session, as before: "
                f"{_fmt(requests.get('light_requests_per_session_pattern'))})",
                requests.get("light_requests"),
                "fewer",
                "",
            ),
            (
                f"live API: telemetry requests (a driver's 10 min each; {_fmt(requests.get('telemetry_driver_lists'))}"
                f" driver lists; plan = sent on meeting {check.get('meeting_key')}: {check.get('sent')} = "
                f"{check.get('planned')})",
                requests.get("telemetry_requests"),
                "fewer",
                "",
            ),
            (
                "live API: their wait at 30 requests / 10 s, h (light endpoints alone, min: "
                f"{_fmt((requests.get('light_wait_s') or 0) / 60)})",
                requests.get("wait_h"),
                "printed",
                "",
            ),
        ]
    rows += [
        ("make test-fast, s", f.get("test_fast_s"), "≤ 120", _verdict(f.get("test_fast_s"), 120)),
        (
            f"make test, s (its last full run here: {make_test.get('finished_at')}, {make_test.get('commit')})"
            if make_test
            else "make test, s (recorded by its last full run here: none on this machine yet)",
            make_test.get("seconds"),
            "≤ 600",
            _verdict(make_test.get("seconds"), 600),
        ),
        (
            "a fresh clone's first make build (venv included), s",
            f.get("first_build_s"),
            "≤ 90",
            _verdict(f.get("first_build_s"), 90),
        ),
    ]
    lines = ["| issue 21 target | value | target | |", "|---|---:|---|---|"]
    lines += [f"| {name} | {_fmt(value)} | {goal} | {verdict} |" for name, value, goal, verdict in rows]
    if incremental.get("noop_said"):
        lines += ["", "make build with nothing new said:", *[f"- {line}" for line in incremental["noop_said"]]]
    return lines


def markdown(f: dict[str, Any]) -> str:
    m = f.get("machine", {})
    dbt = f.get("dbt", {})
    site = f.get("reports", {})
    lines = [
        f"Benchmark `{f['scope']}` — {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gib', '?')} GiB; "
        f"Python {m.get('python', '?')}, DuckDB {m.get('duckdb', '?')}; commit {f.get('git', '?')}; "
        f"measured {', '.join(f'{k} {v}' for k, v in f.get('measured_at', {}).items())}",
        "",
        *targets(f),
        "",
        "| figure | value | target |",
        "|---|---:|---|",
        f"| seasons / rounds / telemetry rows | {f.get('seasons', 1)} / {f['rounds']} / "
        f"{_fmt(f.get('telemetry_rows'))} | |",
        f"| telemetry ingest, rows/s (snapshot → replay server → dlt) | {_fmt(f.get('ingest_rows_per_s'))} | |",
        f"| telemetry limit, rows/s (DuckDB `read_ndjson` of the same files) | {_fmt(f.get('limit_rows_per_s'))} | |",
        f"| **telemetry ingest / limit** | **{_fmt(f.get('ingest_ratio'))}** | ≥ 0.5 (aim 0.8) |",
        f"| light endpoints ingest / limit, rows/s | {_fmt(f.get('ingest_light_rows_per_s'))} / "
        f"{_fmt(f.get('limit_light_rows_per_s'))} | |",
        f"| dbt parse (no partial parse), s | {_fmt(f.get('dbt_parse_s'))} | |",
        f"| dbt build wall, s (run_results elapsed) | {_fmt(f.get('dbt_build_s'))} ({_fmt(dbt.get('elapsed_s'))}) | |",
        f"| dbt build thread-seconds: models+seeds / tests | {_fmt(dbt.get('run_thread_s'))} / "
        f"{_fmt(dbt.get('test_thread_s'))} | |",
        f"| **strategy engine, dbt thread-seconds** (models and tests under models/*/strategy/) | "
        f"**{_fmt(dbt.get('strategy_thread_s'))}** ({_fmt(dbt.get('strategy_share'))} of the dbt build) | ≤ 0.20 |",
        f"| **publish, s** (marts and features to the DuckDB 1.4+ copy and Parquet) | **{_fmt(f.get('publish_s'))}** "
        f"({_fmt(f.get('publish_ratio'))} of full) | ≤ 0.05 of full |",
        f"| **report site render, s** (every page of the season, telemetry pictures included) | "
        f"**{_fmt(f.get('reports_s'))}** | ≤ 15 |",
        f"| report site: pages / MB / largest page KB | {_fmt(site.get('pages'))} / {_fmt(site.get('site_mb'))} / "
        f"{_fmt(site.get('largest_page_kb'))} | |",
        f"| peak RSS, largest process of any step, MB | {_fmt(f.get('peak_rss_mb'))} | ≤ 4096 |",
        f"| warehouse file / published copy / snapshot on disk, MB | {_fmt(f.get('warehouse_mb'))} / "
        f"{_fmt(f.get('published_mb'))} / {_fmt(f.get('snapshot_mb'))} | |",
        "",
        "| step | wall s | peak RSS MB |",
        "|---|---:|---:|",
    ]
    lines += [f"| {n} | {s['wall_s']:.1f} | {s['peak_rss_mb']:.0f} |" for n, s in f.get("steps", {}).items()]
    if dbt.get("slowest_models"):
        lines += [
            "",
            "Slowest models (dbt build, s): "
            + ", ".join(f"{m['model']} {m['seconds']:.1f}" for m in dbt["slowest_models"]),
        ]
    return "\n".join(lines) + "\n"
