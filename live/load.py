"""Write what a live run received into ``raw_openf1`` with dlt: the same pipeline, tables and column types as
the batch loader (``dlt_pipelines``), so staging reads live rows exactly as it reads batch ones.

Each load carries, for every endpoint that changed, the whole session's records: the per-session tables merge
on ``session_key`` (delete-insert), so the session's rows are replaced, never duplicated, and a newer version
of a record replaces the older. The live loads never mark the load ledger: a session loaded live is fetched
again, whole, by the ``make build`` the run hands over to, which leaves the warehouse as a batch build would.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import dlt
from dlt.sources import DltResource

from dlt_pipelines import pipeline as batch
from dlt_pipelines import warehouse as warehouse_file
from dlt_pipelines.openf1 import catalogue
from dlt_pipelines.openf1.arrow import as_arrow, write_import_file
from dlt_pipelines.openf1.source import _resource_hints, parent_resource


class LiveLoader:
    """One dlt pipeline for the run; ``load`` writes one cycle's changed endpoints in one dlt run."""

    def __init__(self, warehouse: Path) -> None:
        self.warehouse = warehouse
        warehouse_file.prepare(warehouse)  # a folder we cannot write in, or a file held: one line, now
        batch._configure_dlt()
        self.pipeline = batch.make_pipeline("duckdb", str(warehouse))
        self.scratch = Path(self.pipeline.working_dir) / "live-import-files"

    def load(
        self,
        session_key: int,
        changed: dict[str, list[dict[str, Any]]],
        parents: tuple[dict[str, Any], dict[str, Any]] | None = None,
    ) -> None:
        """Replace the session's rows of every endpoint in ``changed``; ``parents`` = (meeting, session) rows."""
        if not changed and parents is None:
            return
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True)
        info = self.pipeline.run(live_source(session_key, changed, parents, self.scratch), loader_file_format="parquet")
        shutil.rmtree(self.scratch, ignore_errors=True)
        info.raise_on_failed_jobs()

    def close(self) -> None:
        """Let a ``make build`` load this warehouse (the loader's run lock is held until then)."""
        warehouse_file.release(self.warehouse)


@dlt.source(name="openf1", max_table_nesting=0, root_key=False)
def live_source(
    session_key: int,
    changed: dict[str, list[dict[str, Any]]],
    parents: tuple[dict[str, Any], dict[str, Any]] | None,
    scratch: Path,
) -> list[DltResource]:
    """The batch source's schema (its name, tables and hints), fed with records already fetched."""
    resources = []
    if parents is not None:
        meeting, session = parents
        resources.append(parent_resource("meetings", [meeting], _no_drops()))
        resources.append(parent_resource("sessions", [session], _no_drops()))
    for name in sorted(changed):
        endpoint = catalogue.get(name)
        resources.append(
            dlt.resource(_rows(endpoint, session_key, changed[name], scratch), **_resource_hints(endpoint))
        )
    return resources


def _rows(endpoint: catalogue.Endpoint, session_key: int, records: list[dict[str, Any]], scratch: Path) -> Any:
    def items() -> Any:
        if not records:
            return
        table = as_arrow(records, endpoint)
        if table is None:
            yield records
            return
        path = scratch / f"{endpoint.name}-{session_key}.parquet"
        write_import_file(table, path, dlt.current.load_package_state()["load_id"])
        yield dlt.mark.with_file_import(str(path), "parquet", table.num_rows)

    return items


def _no_drops() -> Counter[str]:
    return Counter()
