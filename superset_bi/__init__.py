"""Apache Superset on the published warehouse, offline: its own venv, a registered database, a season dashboard.

``python -m superset_bi`` (``make superset``) installs, provisions and serves it; ``running_superset`` does the
same for a test. Superset lives in ``.venv-superset`` (its pins cannot share .venv's: SQLAlchemy 1.4, pandas
2.1, DuckDB 1.5.x); this package runs from .venv and only starts programs of that venv. The folder is not named
``superset``: gunicorn puts its working folder first on sys.path, where a ``superset/`` package of ours would
shadow the real one.
"""
