"""Superset's configuration for the local instance (read through SUPERSET_CONFIG_PATH by .venv-superset).

Everything it writes lives in OPENF1_SUPERSET_HOME (warehouse/superset/ by default): the SQLite metadata DB and
the SECRET_KEY that ``python -m superset_bi`` generated there (never committed). Nothing reaches the internet:
no examples, no thumbnails or reports (no Celery), and the browser's Content-Security-Policy allows this server
only, so the UI's analytics pixel and map tiles are never fetched.
"""

import os
from pathlib import Path

HOME = Path(os.environ["OPENF1_SUPERSET_HOME"])

SECRET_KEY = (HOME / "secret_key").read_text().strip()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{HOME / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(HOME)

FEATURE_FLAGS = {
    # the dashboard's charts keep to the newest season with a sub-query in their WHERE clause
    "ALLOW_ADHOC_SUBQUERY": True,
    "THUMBNAILS": False,
    "ALERT_REPORTS": False,
}
# the charts and SQL Lab run in the web process (no Celery, no Redis)
GLOBAL_ASYNC_QUERIES = False
RATELIMIT_STORAGE_URI = "memory://"
# the REST API logs in with a bearer token; the browser's forms keep their CSRF token
WTF_CSRF_ENABLED = True
SHOW_STACKTRACE = False

_SELF_ONLY = {
    "base-uri": ["'self'"],
    "default-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "object-src": "'none'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'", "data:"],
    "script-src": ["'self'", "'strict-dynamic'"],
}
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": _SELF_ONLY,
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
