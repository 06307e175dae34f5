"""Nothing new, nothing rendered (reports/unchanged.py): what makes the site render again, and what does not."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from reports import unchanged

ROOT = Path(__file__).resolve().parents[2]


PAGES = ["index.html", "quality.html", "races/a.html"]


def site(tmp_path: Path) -> tuple[Path, Path, Path]:
    warehouse = tmp_path / "published.duckdb"
    warehouse.write_bytes(b"a published copy")
    target = tmp_path / "target"
    target.mkdir()
    (target / "build_results.json").write_text("{}")
    out = tmp_path / "site"
    (out / "races").mkdir(parents=True)
    for page in PAGES:
        (out / page).write_text("<html></html>")
    return warehouse, out, target


def test_a_site_rendered_from_the_same_inputs_is_current(tmp_path: Path) -> None:
    warehouse, out, target = site(tmp_path)
    current = unchanged.inputs_hash(warehouse, out, target)
    assert not unchanged.is_current(out, current)
    unchanged.record(out, current, PAGES)
    assert unchanged.is_current(out, unchanged.inputs_hash(warehouse, out, target))


def test_a_new_published_copy_or_dbt_record_renders_again(tmp_path: Path) -> None:
    warehouse, out, target = site(tmp_path)
    unchanged.record(out, unchanged.inputs_hash(warehouse, out, target), PAGES)
    replacement = tmp_path / "next.duckdb"
    replacement.write_bytes(b"the next build, published")
    os.replace(replacement, warehouse)  # as make publish swaps the copy in
    assert not unchanged.is_current(out, unchanged.inputs_hash(warehouse, out, target))
    unchanged.record(out, unchanged.inputs_hash(warehouse, out, target), PAGES)
    (target / "sources.json").write_text("{}")  # source freshness ran: the quality page shows it
    assert not unchanged.is_current(out, unchanged.inputs_hash(warehouse, out, target))


def test_a_page_removed_or_left_over_renders_again(tmp_path: Path) -> None:
    """The site must be exactly what was rendered: a render replaces it whole."""
    warehouse, out, target = site(tmp_path)
    current = unchanged.inputs_hash(warehouse, out, target)
    unchanged.record(out, current, PAGES)
    assert unchanged.is_current(out, current)
    (out / "races" / "gone.html").write_text("<html>a race no longer in the marts</html>")
    assert not unchanged.is_current(out, current)
    (out / "races" / "gone.html").unlink()
    (out / "index.html").unlink()
    assert not unchanged.is_current(out, current)


def test_pages_rendered_under_reports_are_not_the_renderer_s_code(tmp_path: Path) -> None:
    """The default sites live in reports/site*: writing one must not make every other site render again."""
    warehouse, out, target = site(tmp_path)
    before = unchanged.inputs_hash(warehouse, out, target)
    probe = ROOT / "reports" / "site-unchanged-probe"
    try:
        (probe / "races").mkdir(parents=True, exist_ok=True)
        (probe / "races" / "page.html").write_text("<html>rendered</html>")
        assert unchanged.inputs_hash(warehouse, out, target) == before
    finally:
        shutil.rmtree(probe, ignore_errors=True)
