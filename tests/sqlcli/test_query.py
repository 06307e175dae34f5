"""make query (python -m sqlcli): any SQL as typed (several lines, both kinds of quotes, SQL_FILE), read-only
on the published copy, every column, each FORMAT, LIMIT, and errors in one line. The README's own examples and
make where's hints are run as pasted, against the published sample."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

README = Path(os.environ.get("OPENF1_README", ROOT / "README.md"))
# a parent make's flags and the project's own variables in the caller's environment would change the runs
_INHERITED = (
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "WAREHOUSE",
    "DESTINATION",
    "SQL",
    "SQL_FILE",
    "FORMAT",
    "LIMIT",
    "OPENF1_SQL",
    "OPENF1_SQL_FILE",
    "OPENF1_SQL_FORMAT",
    "OPENF1_SQL_LIMIT",
    "OPENF1_PUBLISHED",
    "PAGER",
)
WIDE_COLUMNS = [f"measurement_number_{i:02d}_with_a_long_name" for i in range(30)]
LAP_ROWS = 250


def clean_env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _INHERITED} | extra


def make_query(warehouse: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "query", f"WAREHOUSE={warehouse}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(**env),
    )


def sqlcli(published: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sqlcli", "--database", str(published), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )


def own_stderr(done: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr without make's own closing line (make: *** [Makefile:..: query] Error 1)."""
    return [line for line in done.stderr.splitlines() if not line.startswith("make")]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse path whose working file does not even exist, and its hand-made published copy: make query
    reading it proves it reads the copy. Returns the warehouse path (WAREHOUSE=...)."""
    folder = tmp_path_factory.mktemp("sqlcli")
    warehouse = folder / "tiny.duckdb"
    published = folder / "published" / "tiny.duckdb"
    published.parent.mkdir()
    with duckdb.connect(str(published)) as con:
        con.execute("create schema marts")
        con.execute(
            """create table marts.drivers as select * from (values
                ('PET', 'Orca Grand Prix', 82.0, 'it''s a "win"'),
                ('MEH', 'Solano F1', 57.0, 'a | pipe'),
                ('ROC', 'Solano F1', 56.0, null)
            ) as t(driver_code, "Team Name", points, note)"""
        )
        con.execute(f"create table marts.laps as select range as lap_number from range(1, {LAP_ROWS + 1})")
        columns = ", ".join(f"repeat('x', 40) || '{i:02d}' as {name}" for i, name in enumerate(WIDE_COLUMNS))
        con.execute(f"create table marts.wide as select {columns} from range(3)")
    return warehouse


def published_of(warehouse: Path) -> Path:
    return warehouse.parent / "published" / warehouse.name


def test_multi_line_sql_with_quotes_and_dollars_as_typed(tiny: Path) -> None:
    sql = """select driver_code, "Team Name", note, '$HOME' as dollar
               from marts.drivers
              where "Team Name" = 'Solano F1' and driver_code <> 'it''s'
              order by points desc"""
    done = make_query(tiny, f"SQL={sql}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.match(r"driver_code \| Team Name +\| note +\| dollar", lines[0])
    assert lines[2].startswith("MEH ") and "a | pipe" in lines[2] and "$HOME" in lines[2]
    assert lines[3].startswith("ROC ") and "NULL" in lines[3]
    assert lines[-1] == "(2 rows)"


def test_sql_file_and_sql_from_the_environment(tiny: Path, tmp_path: Path) -> None:
    query = tmp_path / "q.sql"
    query.write_text("-- a file of SQL, dbt's ref() included\nselect count(*) as drivers\nfrom {{ ref('drivers') }}\n")
    done = make_query(tiny, f"SQL_FILE={query}", "FORMAT=csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "drivers\n3\n"
    from_env = make_query(tiny, SQL="select 'env' as origin", FORMAT="json")  # make's ?= reads the environment
    assert from_env.returncode == 0, from_env.stderr
    assert json.loads(from_env.stdout) == [{"origin": "env"}]


def test_an_sql_error_is_one_line_naming_the_tables(tiny: Path) -> None:
    done = make_query(tiny, "SQL=select * from marts.driver\n where 1 = 1")
    assert done.returncode != 0 and not done.stdout
    (line,) = own_stderr(done)
    assert line.startswith("error: Catalog Error: Table with name driver does not exist!")
    assert 'Did you mean "drivers"?' in line and "tables: marts: drivers, laps, wide" in line
    assert "Error 1" in done.stderr  # make names the program's exit status: 1, an SQL error
    direct = sqlcli(published_of(tiny), "--sql", "selec 1")
    assert direct.returncode == 1
    assert direct.stderr.splitlines() == ['error: Parser Error: syntax error at or near "selec"']


def test_the_copy_is_read_only(tiny: Path) -> None:
    published = published_of(tiny)
    before = published.read_bytes()
    done = sqlcli(published, "--sql", "create table marts.scratch as select 1 as x")
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "read-only" in line
    assert published.read_bytes() == before


def test_no_published_copy_is_one_line_saying_how_to_make_one(tmp_path: Path) -> None:
    done = make_query(tmp_path / "none.duckdb", "SQL=select 1")
    (line,) = own_stderr(done)
    assert line == (
        f"error: no published copy at {tmp_path}/published/none.duckdb yet: run make build "
        f"WAREHOUSE={tmp_path}/none.duckdb (or make publish after a passing make transform)"
    )
    assert sqlcli(tmp_path / "none.duckdb", "--sql", "select 1").returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], 'give SQL="select ..." or SQL_FILE=', id="no-sql"),
        pytest.param(["SQL=select 1", "SQL_FILE=x.sql"], "not both", id="sql-and-file"),
        pytest.param(["SQL_FILE=no/such.sql"], "SQL_FILE=no/such.sql: no such file", id="missing-file"),
        pytest.param(["SQL=select 1", "FORMAT=xml"], "FORMAT=xml: give one of table, csv, json, markdown", id="format"),
        pytest.param(["SQL=select 1", "LIMIT=ten"], "LIMIT=ten: give a number of rows", id="limit"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tiny: Path, args: list[str], message: str) -> None:
    done = make_query(tiny, *args)
    (line,) = own_stderr(done)
    assert line.startswith("error: ") and message in line
    assert "Error 2" in done.stderr


def test_a_wide_result_shows_every_column_in_full(tiny: Path) -> None:
    done = make_query(tiny, "SQL=from marts.wide")
    assert done.returncode == 0, done.stderr
    header, _rule, *rows, footer = done.stdout.splitlines()
    assert [name.strip() for name in header.split(" | ")] == WIDE_COLUMNS
    assert len(rows) == 3 and footer == "(3 rows)"
    for row in rows:
        assert [value.strip() for value in row.split(" | ")] == ["x" * 40 + f"{i:02d}" for i in range(30)]


def test_formats(tiny: Path) -> None:
    sql = 'SQL=select driver_code, "Team Name", points, note from marts.drivers order by points desc'
    table = make_query(tiny, sql).stdout.splitlines()
    assert table[0].split(" | ")[0].strip() == "driver_code" and table[-1] == "(3 rows)"
    assert table[2].rstrip().endswith('82.0 | it\'s a "win"')  # numbers to the right
    rows = list(csv.reader(io.StringIO(make_query(tiny, sql, "FORMAT=csv").stdout)))
    assert rows == [
        ["driver_code", "Team Name", "points", "note"],
        ["PET", "Orca Grand Prix", "82.0", 'it\'s a "win"'],
        ["MEH", "Solano F1", "57.0", "a | pipe"],
        ["ROC", "Solano F1", "56.0", ""],
    ]
    objects = json.loads(make_query(tiny, sql, "FORMAT=json").stdout)
    assert objects[0] == {"driver_code": "PET", "Team Name": "Orca Grand Prix", "points": 82.0, "note": 'it\'s a "win"'}
    assert objects[2]["note"] is None and len(objects) == 3
    markdown = make_query(tiny, sql, "FORMAT=markdown").stdout.splitlines()
    assert markdown[:2] == ["| driver_code | Team Name | points | note |", "|---|---|---:|---|"]
    assert markdown[3] == "| MEH | Solano F1 | 57.0 | a \\| pipe |" and len(markdown) == 5


def test_limit(tiny: Path) -> None:
    sql = "SQL=select lap_number from marts.laps order by lap_number"
    cut = make_query(tiny, sql).stdout.splitlines()
    assert len(cut) == 2 + 100 + 1 and cut[-2].strip() == "100"
    assert (
        cut[-1] == f"({LAP_ROWS} rows, the first 100 shown: LIMIT=0 shows all, FORMAT=csv writes all for other tools)"
    )
    assert len(make_query(tiny, sql, "LIMIT=0").stdout.splitlines()) == 2 + LAP_ROWS + 1
    assert make_query(tiny, sql, "LIMIT=7").stdout.splitlines()[-1].startswith(f"({LAP_ROWS} rows, the first 7")
    assert len(make_query(tiny, sql, "FORMAT=csv").stdout.splitlines()) == 1 + LAP_ROWS  # machine formats: all
    limited = make_query(tiny, sql, "FORMAT=csv", "LIMIT=5")
    assert len(limited.stdout.splitlines()) == 6 and f"5 of {LAP_ROWS} rows" in limited.stderr


# ---- the README's examples and make where's hints, as pasted ------------------------------------------------

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def query_commands(markdown: str) -> list[str]:
    """Every ``make query ...`` command in the fenced code blocks of ``markdown``, a command running on over
    lines until its quotes close (and past a trailing backslash)."""
    commands = []
    for block in FENCE.findall(markdown):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i].removeprefix("$ ").strip()
            i += 1
            if not line.startswith("make query"):
                continue
            command = line
            while (not quotes_closed(command) or command.endswith("\\")) and i < len(lines):
                command += "\n" + lines[i]
                i += 1
            commands.append(command)
    return commands


def quotes_closed(command: str) -> bool:
    import shlex

    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return True


def test_query_commands_are_found_whole() -> None:
    markdown = (
        'Text `make query SQL="x"` is not a command.\n```bash\nmake query SQL="select 1\n  from t" FORMAT=csv\n'
        "make build\n$ make query SQL_FILE=a.sql   # a comment\nmake query \\\n  SQL='select 2'\n```\n"
    )
    assert query_commands(markdown) == [
        'make query SQL="select 1\n  from t" FORMAT=csv',
        "make query SQL_FILE=a.sql   # a comment",
        "make query \\\n  SQL='select 2'",
    ]


def run_pasted(command: str, warehouse: Path) -> subprocess.CompletedProcess[str]:
    """``command`` as a user pastes it into bash, on the sample (WAREHOUSE from the environment: make's ?=
    takes it unless the command names its own)."""
    return subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(WAREHOUSE=str(warehouse)),
    )


@pytest.mark.slow
def test_every_readme_example_runs(published_sample: tuple[Path, Path, Path]) -> None:
    commands = query_commands(README.read_text())
    assert commands, f"{README} has no make query example in a fenced code block"
    assert any("\n" in command for command in commands), f"{README} shows no multi-line make query"
    warehouse = published_sample[0].parent.parent / published_sample[0].name
    for command in commands:
        done = run_pasted(command, warehouse.relative_to(ROOT))
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
        assert done.stdout.strip() and not done.stderr.strip(), f"{command}\n{done.stdout[-500:]}{done.stderr}"


@pytest.mark.slow
def test_make_where_hints_run_as_pasted(published_sample: tuple[Path, Path, Path]) -> None:
    warehouse = (published_sample[0].parent.parent / published_sample[0].name).relative_to(ROOT)
    where = subprocess.run(
        ["make", "where", f"WAREHOUSE={warehouse}"], cwd=ROOT, capture_output=True, text=True, env=clean_env()
    )
    hints = [line.strip() for line in where.stdout.splitlines() if line.strip().startswith("make query")]
    assert len(hints) >= 3
    for hint in hints:
        assert f"WAREHOUSE={warehouse}" in hint
        done = subprocess.run(["bash", "-c", hint], cwd=ROOT, capture_output=True, text=True, env=clean_env())
        assert done.returncode == 0 and done.stdout.strip(), f"{hint}\n{done.stderr[-2000:]}"


def test_make_where_hints_name_only_a_warehouse_that_is_not_the_default() -> None:
    def hints(*args: str) -> list[str]:
        out = subprocess.run(["make", "where", *args], cwd=ROOT, capture_output=True, text=True, env=clean_env())
        return [line for line in out.stdout.splitlines() if line.strip().startswith("make ")]

    assert hints() and not any("WAREHOUSE=" in hint for hint in hints())
    assert all("WAREHOUSE=warehouse/x.duckdb" in hint for hint in hints("WAREHOUSE=warehouse/x.duckdb"))
