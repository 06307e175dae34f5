"""Run by .venv-sql's python (python -m sqlcli.shell --check): open a database the way ``make sql`` does,
without a terminal, and print what was seen. Exits non-zero, with one line, on anything unexpected.

1. harlequin's DuckDB adapter connects read-only (as ``harlequin --adapter duckdb --read-only`` does), lists
   the catalog, runs a query and is refused a write;
2. harlequin's app starts headless (Textual's test driver) on that connection, runs a query typed into its
   editor, and its results viewer shows the rows.
"""

from __future__ import annotations

import asyncio
import sys
from importlib.metadata import version

from harlequin import Harlequin
from harlequin.exception import HarlequinQueryError
from harlequin_duckdb import DuckDbAdapter

QUERY = "select count(*) as drivers from marts.dim_drivers"
WRITE = "create table marts.written_by_make_sql as select 1 as x"


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def adapter_check(database: str) -> DuckDbAdapter:
    adapter = DuckDbAdapter((database,), read_only=True, no_init=True)
    connection = adapter.connect()
    schemas = {  # the data catalog's tree, fetched as harlequin expands it
        schema.label: [table.label for table in schema.fetch_children()]
        for database in connection.get_catalog().items
        for schema in database.fetch_children()
    }
    if not schemas.get("marts"):
        fail(f"the catalog harlequin reads has no marts tables: {sorted(schemas)}")
    print(f"catalog: {', '.join(f'{name} ({len(tables)} tables)' for name, tables in sorted(schemas.items()))}")
    cursor = connection.execute(QUERY)
    if cursor is None:
        fail(f"harlequin's adapter returned no rows for {QUERY}")
    drivers = cursor.fetchall().column(0)[0].as_py()  # harlequin hands results on as Arrow tables
    print(f"query: {QUERY} -> {drivers}")
    try:
        connection.execute(WRITE)
    except HarlequinQueryError as error:
        print(f"write refused: {str(error).splitlines()[0]}")
    else:
        fail("harlequin could write to the published copy: it must open it read-only")
    return adapter


async def app_check(adapter: DuckDbAdapter) -> None:
    app = Harlequin(adapter=adapter, record_history=False)
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(100):  # connecting happens in a worker: wait for the editor
            if app.editor is not None:
                break
            await pilot.pause(0.1)
        if app.editor is None:
            fail("harlequin's editor did not open")
        app.editor.text = QUERY
        await pilot.press("ctrl+j")  # run the query
        for _ in range(100):
            table = app.results_viewer.get_visible_table()
            if table is not None and table.row_count:
                break
            await pilot.pause(0.1)
        else:
            fail("harlequin's results viewer showed no rows")
        shown = table.get_row_at(0)
        print(f"app: harlequin ran the query headless; its results viewer shows {shown}")


def main() -> None:
    database = sys.argv[1]
    print(f"harlequin {version('harlequin')} with duckdb {version('duckdb')} on {database}")
    adapter = adapter_check(database)
    asyncio.run(app_check(adapter))


if __name__ == "__main__":
    main()
