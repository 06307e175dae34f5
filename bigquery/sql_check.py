"""Fail on DuckDB-only SQL in what dbt compiled for BigQuery: ``python -m bigquery.sql_check TARGET_DIR``.

The BigQuery emulator runs on DuckDB and forgives SQL that BigQuery rejects (ILIKE, TRY_CAST, strftime, ``::``,
DuckDB type names, ...), so a green emulator build alone does not prove a model runs on BigQuery. This scans the
SQL dbt wrote for the ``bigquery`` target (``compiled/`` and ``run/`` under dbt's target path: models, tests,
unit tests, and the DDL with contract types) for constructs BigQuery does not have, each with its portable
spelling. It also fails on ``target.type`` in models and singular tests: warehouse differences belong in
dispatched macros (``default__`` / ``bigquery__``) or dbt's cross-database macros.

It reads SQL text, not a parse tree: comments, string literals and quoted identifiers are blanked first, so
only code is matched. A rule is a regular expression over that code; add one when the emulator lets a new
DuckDB-ism through.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    fix: str


def _rule(name: str, pattern: str, fix: str) -> Rule:
    return Rule(name, re.compile(pattern, re.IGNORECASE | re.MULTILINE), fix)


def _function(*names: str) -> str:
    return r"\b(?:" + "|".join(names) + r")\s*\("


# Type names DuckDB has and BigQuery lacks (BigQuery: INT64/INT/INTEGER/BIGINT, FLOAT64, NUMERIC/DECIMAL, BOOL,
# STRING, BYTES, DATE, DATETIME, TIME, TIMESTAMP, JSON). dbt-bigquery itself turns TEXT/FLOAT/INTEGER into
# STRING/FLOAT64/INT64 in contract DDL, so those are fine in YAML data_type but not in a cast.
_DUCKDB_TYPES = (
    r"double|varchar|real|hugeint|uhugeint|ubigint|uinteger|usmallint|utinyint|float4|float8|int2|int4|int8"
    r"|timestamptz|blob|double\s+precision|timestamp\s+with\s+time\s+zone"
)

RULES: tuple[Rule, ...] = (
    _rule("ILIKE", r"\bilike\b", "lower(x) like lower(pattern)"),
    _rule("TRY_CAST", _function("try_cast"), "{{ dbt.safe_cast(x, type) }}"),
    _rule("'::' cast", r"::", "cast(x as type) with dbt.type_*() / a dispatched type macro"),
    _rule(
        "DuckDB type name",
        rf"(?:\bas\s+|::\s*|^\s*[`\w]+\s+)(?:{_DUCKDB_TYPES})\b",
        "a cross-database or dispatched type macro in SQL; in contracts and seeds' column_types: "
        "int64, integer, float64, string, bool, timestamp, date",
    ),
    _rule("cast as text", r"\bas\s+text\s*\)", "{{ dbt.type_string() }}"),
    _rule("strftime/strptime", _function("strftime", "strptime"), "a dispatched macro (BigQuery FORMAT_TIMESTAMP)"),
    _rule("epoch()", _function("epoch", "epoch_ms", "epoch_us", "epoch_ns"), "a dispatched macro (UNIX_SECONDS)"),
    _rule("extract(epoch ...)", r"\bextract\s*\(\s*epoch\b", "a dispatched macro (UNIX_SECONDS / UNIX_MICROS)"),
    _rule("date_part()", _function("date_part", "datepart"), "extract(part from x)"),
    _rule("datediff()", _function("datediff"), "{{ dbt.datediff(a, b, 'second') }}"),
    _rule(
        "unit-first date function",
        r"\b(?:date_diff|date_sub|date_add|date_trunc|datetrunc|time_bucket)\s*\(\s*'",
        "{{ dbt.date_trunc(...) }}, {{ dbt.datediff(...) }}, {{ dbt.dateadd(...) }}",
    ),
    _rule("timezone()", _function("timezone"), "a dispatched macro (see macros/utc_timestamp.sql)"),
    _rule(
        "make_date/make_timestamp/to_timestamp",
        _function("make_date", "make_timestamp", "to_timestamp"),
        "a dispatched macro",
    ),
    _rule("now()/today()", _function("now", "today"), "current_timestamp / current_date"),
    _rule("arg_max/arg_min", _function("arg_max", "arg_min"), "max_by(x, y) / min_by(x, y), or a window"),
    _rule("bool_and/bool_or", _function("bool_and", "bool_or"), "logical_and / logical_or (a dispatched macro)"),
    _rule("first()/last() aggregate", _function("first", "last"), "any_value, or first_value() over a window"),
    _rule(
        "median/quantile/mode",
        _function("median", "quantile", "quantile_cont", "quantile_disc", "mode"),
        "percentile_cont(x, 0.5) over (partition by ...) (a dispatched macro)",
    ),
    _rule("count_if()", _function("count_if"), "countif(x) on BigQuery / sum(case ...) (portable)"),
    _rule("aggregate FILTER", r"\bfilter\s*\(\s*where\b", "sum(case when ... then 1 else 0 end)"),
    _rule(
        "list/struct function",
        r"\b(?:list|list_\w+|array_value|struct_pack|struct_extract|unnest_list|generate_series|range)\s*\(",
        "BigQuery arrays: array_agg, generate_array, struct(...)",
    ),
    _rule(
        "string function BigQuery lacks",
        _function(
            "string_split",
            "str_split",
            "split_part",
            "regexp_matches",
            "regexp_full_match",
            "concat_ws",
            "printf",
            "len",
            "strlen",
            "position",
            "contains",
            "listagg",
            "group_concat",
            "isnan",
            "isinf",
        ),
        "split()/regexp_contains()/format()/length()/strpos()/is_nan() (a dispatched macro if both differ)",
    ),
    _rule("md5 (BYTES on BigQuery)", r"(?<!to_hex\()\bmd5\s*\(", "{{ dbt.hash(x) }}"),
    _rule("VALUES table", r"\b(?:from|join)\s*\(?\s*values\b", "select ... union all select ... (or a seed)"),
    _rule(
        "bare UNION/EXCEPT/INTERSECT",
        r"\b(?:union|intersect)\b(?!\s+(?:all|distinct)\b)|\bexcept\b(?!\s*(?:all|distinct)\b|\s*\()",
        "union all / union distinct, except distinct",
    ),
    _rule("* EXCLUDE", r"\*\s*exclude\b", "* except (columns)"),
    _rule("'%' / '//' / '==' operator", r"%|//|==", "mod(a, b), div(a, b), ="),
    _rule(
        "string interval",
        r"\binterval\s*'[^'\n]*'(?!\s*(?:year|quarter|month|week|day|hour|minute|second)\b)",
        "interval 1 day",
    ),
    _rule(
        "double-quoted name",
        r'"[^"\n]*"',
        'BigQuery reads "x" as a string: single quotes for strings, no quotes (or adapter.quote) for names',
    ),
)


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    rule: Rule
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule.name}: {self.text.strip()[:100]}  (use: {self.rule.fix})"


def code_only(sql: str) -> str:
    """``sql`` with comments, string literals and quoted identifiers blanked (lines and columns kept).

    A string literal keeps its quotes, its content turns to spaces (``'abc'`` -> ``'   '``), so rules still
    see that a string stood there; a backtick-quoted name keeps its backticks the same way.
    """
    out: list[str] = []
    i, n = 0, len(sql)

    def blank(text: str) -> str:
        return "".join("\n" if ch == "\n" else " " for ch in text)

    while i < n:
        two = sql[i : i + 2]
        ch = sql[i]
        if two == "--" or ch == "#":
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(blank(sql[i:end]))
            i = end
        elif two == "/*":
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append(blank(sql[i:end]))
            i = end
        elif ch in "'`":
            quote = ch
            j = i + 1
            while j < n:
                if sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == quote:
                    if quote == "'" and j + 1 < n and sql[j + 1] == "'":  # '' inside a DuckDB string
                        j += 2
                        continue
                    break
                j += 1
            end = min(j + 1, n)
            out.append(quote + blank(sql[i + 1 : end - 1]) + quote)
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def check_sql(path: Path, sql: str, rules: Iterable[Rule] = RULES) -> Iterator[Finding]:
    code = code_only(sql)
    lines = sql.splitlines()
    for rule in rules:
        for match in rule.pattern.finditer(code):
            line = code.count("\n", 0, match.start()) + 1
            yield Finding(path, line, rule, lines[line - 1] if line <= len(lines) else "")


TARGET_TYPE = _rule(
    "target.type in a model", r"\btarget\s*\.\s*type\b|\btarget\s*\[\s*'type'\s*\]", "a dispatched macro"
)


def check_target(target: Path) -> list[Finding]:
    """Every finding in the SQL dbt compiled and ran for BigQuery under ``target`` (dbt's target path).

    ``run/`` holds what was executed (the DDL with contract types, MERGE statements, wrapped tests); a node
    that was only compiled (a unit test, an ephemeral model) is read from ``compiled/``.
    """
    findings: list[Finding] = []
    ran = {path.relative_to(target / "run") for path in (target / "run").rglob("*.sql")}
    for path in sorted((target / "run").rglob("*.sql")):
        findings.extend(check_sql(path, path.read_text(errors="replace")))
    for path in sorted((target / "compiled").rglob("*.sql")):
        if path.relative_to(target / "compiled") not in ran:
            findings.extend(check_sql(path, path.read_text(errors="replace")))
    return findings


def check_project(root: Path = ROOT) -> list[Finding]:
    """``target.type`` in models (SQL and YAML) and singular tests."""
    findings: list[Finding] = []
    for folder in ("models", "tests/dbt"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in {".sql", ".yml", ".yaml"}:
                text = path.read_text(errors="replace")
                for match in TARGET_TYPE.pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    findings.append(Finding(path, line, TARGET_TYPE, text.splitlines()[line - 1]))
    return findings


def report(findings: list[Finding], per_rule: int = 5, base: Path | None = None) -> str:
    """The findings grouped by rule, each rule with its fix once and at most ``per_rule`` places."""
    lines: list[str] = []
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule.name, []).append(finding)
    for name, group in by_rule.items():
        lines.append(f"{name} ({len(group)}x; use: {group[0].rule.fix}):")
        for finding in group[:per_rule]:
            path = finding.path
            if base is not None and path.is_relative_to(base):
                path = path.relative_to(base)
            lines.append(f"  {path}:{finding.line}: {finding.text.strip()[:100]}")
        if len(group) > per_rule:
            lines.append(f"  ... and {len(group) - per_rule} more")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bigquery.sql_check", description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="dbt's target path after a build with --target bigquery")
    args = parser.parse_args(argv)
    if not (args.target / "run").is_dir() and not (args.target / "compiled").is_dir():
        print(f"error: {args.target} has no compiled/ or run/ folder: run dbt with --target bigquery first")
        return 2
    findings = check_target(args.target) + check_project()
    if findings:
        print(report(findings, base=Path.cwd()))
        print(f"error: {len(findings)} DuckDB-only constructs in SQL compiled for BigQuery")
        return 1
    print("BigQuery SQL check passed: no DuckDB-only constructs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
