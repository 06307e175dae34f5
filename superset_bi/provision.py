"""Register the published copy in Superset: the database, a dataset per table, the season dashboard, the admin.

Runs inside .venv-superset (``python superset_bi/provision.py``, started by ``superset_bi.server``) with
SUPERSET_CONFIG_PATH set, in one Flask app context:

- the bundle is Superset's own export format: the committed, hand-written YAML of ``superset_bi/bundle/``
  (database, charts, dashboard) plus one dataset per table of the published copy's ``marts`` and ``features``
  schemas, generated here from its catalogue so that the datasets follow the marts as they change;
- it is imported as an assets bundle (Superset's command for assets kept under source control, behind
  /api/v1/assets/import/): every object is overwritten by UUID, so running it again updates the database URI,
  datasets and charts rather than duplicating them (``superset import-dashboards`` would overwrite only the
  dashboard and keep stale charts and an old database URI);
- Superset's importer keeps a chart's saved ``query_context`` as written, with the dataset id of the exporting
  instance: it is set here to the imported dataset's id, so ``GET /api/v1/chart/<id>/data/`` works;
- the admin user is created, or its password reset to the one given (OPENF1_SUPERSET_ADMIN_PASSWORD).

The module imports neither Superset nor DuckDB at the top: ``bundle_contents`` is tested from .venv.
"""

from __future__ import annotations

import argparse
import json
import os
import string
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import yaml

BUNDLE = Path(__file__).with_name("bundle")
SCHEMAS = ("marts", "features")
# every UUID of the bundle derives from this namespace: uuid5(NAMESPACE, "<schema>.<table>") for datasets
NAMESPACE = uuid.UUID("26c61911-34a4-5ac2-868b-4c13e6579996")
DATABASE_UUID = "cc6342f2-6edb-59ca-9ed6-cb18b354644f"
ADMIN = "admin"
TEMPORAL = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIME")


def dataset_uuid(schema: str, table: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{schema}.{table}"))


def sqlalchemy_uri(published: Path) -> str:
    """duckdb-engine's URL for the published copy, read-only (DuckDB's access_mode, passed through as config)."""
    return f"duckdb:///{quote(str(published.resolve()))}?access_mode=read_only"


def _catalogue(published: Path) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(schema, table) -> [(column, type)] of the public schemas, read from the published copy (read-only)."""
    import duckdb

    connection = duckdb.connect(str(published), read_only=True)
    try:
        rows = connection.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
            " where table_catalog = current_database() and table_schema in (?, ?)"
            " order by table_schema, table_name, ordinal_position",
            list(SCHEMAS),
        ).fetchall()
    finally:
        connection.close()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), []).append((column, data_type))
    return tables


def _dataset(schema: str, table: str, columns: list[tuple[str, str]]) -> dict:
    return {
        "table_name": table,
        "schema": schema,
        "catalog": None,
        "sql": None,
        "main_dttm_col": None,
        "description": f"{schema}.{table} of the published warehouse",
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "params": None,
        "template_params": None,
        "uuid": dataset_uuid(schema, table),
        "database_uuid": DATABASE_UUID,
        "version": "1.0.0",
        "metrics": [
            {
                "metric_name": "count",
                "verbose_name": "COUNT(*)",
                "metric_type": "count",
                "expression": "COUNT(*)",
                "description": None,
                "d3format": None,
                "extra": None,
                "warning_text": None,
            }
        ],
        "columns": [
            {
                "column_name": column,
                "type": data_type,
                "is_dttm": data_type in TEMPORAL,
                "is_active": True,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "verbose_name": None,
                "python_date_format": None,
                "extra": None,
            }
            for column, data_type in columns
        ],
    }


def bundle_contents(published: Path) -> dict[str, str]:
    """The import bundle as Superset's importer takes it: {path inside the bundle: YAML text}."""
    contents = {
        path.relative_to(BUNDLE).as_posix(): path.read_text()
        for path in sorted(BUNDLE.rglob("*.yaml"))
        if not path.relative_to(BUNDLE).as_posix().startswith("databases/")
    }
    database = (BUNDLE / "databases" / "openf1_published.yaml").read_text()
    contents["databases/openf1_published.yaml"] = string.Template(database).substitute(
        sqlalchemy_uri=sqlalchemy_uri(published)
    )
    for (schema, table), columns in _catalogue(published).items():
        contents[f"datasets/openf1_published/{schema}.{table}.yaml"] = yaml.safe_dump(
            _dataset(schema, table, columns), sort_keys=False
        )
    return contents


def chart_uuids() -> list[str]:
    return [yaml.safe_load(path.read_text())["uuid"] for path in sorted((BUNDLE / "charts").glob("*.yaml"))]


def _admin(security_manager, password: str) -> None:  # type: ignore[no-untyped-def]
    user = security_manager.find_user(username=ADMIN)
    if user is None:
        role = security_manager.find_role("Admin")
        created = security_manager.add_user(ADMIN, "OpenF1", "Admin", "admin@localhost", role, password=password)
        if not created:
            raise RuntimeError("could not create the admin user (is `superset init` done?)")
    else:
        security_manager.reset_password(user.id, password)


def provision(published: Path, password: str) -> dict[str, int]:
    """Import the bundle into the Superset of SUPERSET_CONFIG_PATH; return {chart uuid: chart id}."""
    from flask import g
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.models.slice import Slice

        _admin(security_manager, password)
        db.session.commit()
        g.user = security_manager.find_user(username=ADMIN)
        ImportAssetsCommand(bundle_contents(published)).run()
        charts: dict[str, int] = {}
        for chart in db.session.query(Slice).filter(Slice.uuid.in_([uuid.UUID(u) for u in chart_uuids()])):
            query_context = json.loads(chart.query_context)
            query_context["datasource"] = {"id": chart.datasource_id, "type": chart.datasource_type}
            chart.query_context = json.dumps(query_context)
            charts[str(chart.uuid)] = chart.id
        db.session.commit()
    return charts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, required=True)
    args = parser.parse_args(argv)
    charts = provision(args.published, os.environ["OPENF1_SUPERSET_ADMIN_PASSWORD"])
    print(json.dumps(charts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
