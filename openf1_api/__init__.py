"""The one OpenF1 HTTP client (rate limit, retries, auth: the policy is ``client``'s docstring) and the
telemetry request windows, shared by the loader (``dlt_pipelines``) and the recorder (``openf1_replay``).

It imports neither of them: each talks to OpenF1, or to the replay server, only through this client.
"""

from openf1_api.client import (
    AUTHENTICATE_OR_WAIT,
    DEFAULT_BASE_URL,
    AuthenticationError,
    EndpointNotFound,
    Filter,
    OpenF1Client,
    OpenF1Error,
    Query,
    RateLimiter,
    Record,
    RetryPolicy,
    SessionInProgressError,
    UnreachableError,
)
from openf1_api.windows import telemetry_queries, windows

__all__ = [
    "AUTHENTICATE_OR_WAIT",
    "DEFAULT_BASE_URL",
    "AuthenticationError",
    "EndpointNotFound",
    "Filter",
    "OpenF1Client",
    "OpenF1Error",
    "Query",
    "RateLimiter",
    "Record",
    "RetryPolicy",
    "SessionInProgressError",
    "UnreachableError",
    "telemetry_queries",
    "windows",
]
