"""One fact, one home: a definition lives in one model, macro or var, and a copy that comes back fails here.

These read the project's SQL as text (fast, no warehouse); the data-level guard for session_kind is the dbt test
tests/dbt/marts/assert_session_kind_has_one_home.sql.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SQL_FILES = sorted([*ROOT.glob("models/**/*.sql"), *ROOT.glob("macros/**/*.sql"), *ROOT.glob("tests/dbt/**/*.sql")])


def _sql(path: Path) -> str:
    """The file without its Jinja comments ({# ... #}), where a rule may be described in words."""
    return re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)


def _files_matching(pattern: str) -> set[str]:
    regex = re.compile(pattern, re.I)
    return {str(p.relative_to(ROOT)) for p in SQL_FILES if regex.search(_sql(p))}


@pytest.mark.parametrize(
    ("pattern", "home"),
    [
        pytest.param(r"like\s+'%sprint%'", {"macros/session_kind.sql"}, id="session-kind-rule"),
        # a least-squares slope's parts are spelt once (macros/degradation.sql: comoment, degradation_slope)
        pytest.param(
            r"\bcovar_pop\s*\(|\bsum\(\s*[^()]+\*[^()]+\)\s*-\s*sum\(",
            {"macros/degradation.sql"},
            id="degradation-slope",
        ),
        # the fuel correction of a lap time is spelt once
        pytest.param(r"\+\s*[\w.{ ]*fuel_effect_s_per_lap[\s}]*\*", {"macros/degradation.sql"}, id="fuel-correction"),
        # the tyre and fuel model's lap time is spelt once (macros/degradation.sql modelled_lap_time)
        pytest.param(r"driver_base_s[\s}]*\+", {"macros/degradation.sql"}, id="modelled-lap-time"),
        # the assumed fuel effect is read once: the fallback of the race's own estimate
        pytest.param(
            r"var\(\s*'fuel_effect_s_per_lap'",
            {"models/intermediate/strategy/int_race_fuel_effects_estimated.sql"},
            id="fuel-effect-fallback",
        ),
        pytest.param(
            r"\{\{\s*session_kind\(",
            # the macro's proof calls it too
            {
                "models/staging/openf1/stg_openf1__sessions.sql",
                "tests/dbt/macros/assert_regex_capture_and_session_kind.sql",
            },
            id="session-kind-call",
        ),
        # which neutralisation a race control message is: the laps' 'vsc' periods and the report's VSC messages
        pytest.param(r"like\s+'%virtual", {"macros/neutralisation_kind.sql"}, id="virtual-safety-car-rule"),
        pytest.param(
            r"\{\{\s*neutralisation_kind\(",
            {
                "models/intermediate/int_track_status_periods.sql",
                "models/marts/fct_race_control.sql",
                "tests/dbt/macros/assert_neutralisation_kind.sql",
            },
            id="neutralisation-kind-call",
        ),
    ],
)
def test_definition_has_one_home(pattern: str, home: set[str]) -> None:
    assert _files_matching(pattern) == home


def test_report_reads_the_virtual_safety_car_from_the_mart() -> None:
    """The report's VSC messages are fct_race_control.is_virtual_safety_car, not a pattern of its own."""
    assert not re.search(r"like\s+'%virtual", (ROOT / "reports" / "queries.py").read_text(), re.I)


def test_meeting_qualifying_lookup_has_one_home() -> None:
    """ "The meeting's qualifying" is int_race_weekends_numbered's (dim_meetings.qualifying_session_key): no model
    or report query joins sessions on meeting_key to pick a qualifying session again."""
    lookup = re.compile(
        # a sessions relation picked by a qualifying kind and joined on the meeting (both copies this replaced)
        r"meeting_key\s*=\s*\w+\.meeting_key[^;]{0,200}?session_kind\s*(=|in)\s*\(?\s*'(sprint_)?qualifying'"
        r"|\bqualifying_sessions?\.meeting_key\b",
        re.S,
    )
    copies = {str(p.relative_to(ROOT)) for p in [*SQL_FILES, ROOT / "reports" / "queries.py"] if lookup.search(_sql(p))}
    assert copies == set()


def test_vars_have_one_default_in_dbt_project() -> None:
    """Every var a model reads is declared once in dbt_project.yml; none carries an inline default of its own."""
    declared = set(yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"])
    used, inline_defaults = set(), set()
    for path in SQL_FILES:
        text = _sql(path)
        used |= set(re.findall(r"\bvar\(\s*'(\w+)'", text))
        inline_defaults |= {f"{path.name}: {name}" for name in re.findall(r"\bvar\(\s*'(\w+)'\s*,", text)}
    assert inline_defaults == set()
    assert used <= declared, used - declared


def test_the_amendment_window_defaults_agree() -> None:
    """The window is the Makefile's RESULTS_WINDOW_DAYS, exported to the loader and dbt alike; run without make,
    each falls back to a default of its own, which must be the loader's."""
    from dlt_pipelines.refetch import RESULTS_WINDOW_DAYS

    declared = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]["results_window_days"]
    default = re.fullmatch(r"\{\{\s*env_var\('OPENF1_RESULTS_WINDOW_DAYS',\s*'(\d+)'\)\s*\}\}", declared)
    assert default, declared
    assert int(default.group(1)) == RESULTS_WINDOW_DAYS
