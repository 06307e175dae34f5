"""The OpenF1 dlt source: endpoint catalogue, HTTP client and resources.

It knows only a base URL: api.openf1.org/v1, the project's replay server, or any OpenF1-compatible server.
"""

from dlt_pipelines.openf1.catalogue import ENDPOINTS, TELEMETRY
from dlt_pipelines.openf1.source import openf1_source
from openf1_api import OpenF1Client, OpenF1Error, SessionInProgressError

__all__ = ["ENDPOINTS", "TELEMETRY", "OpenF1Client", "OpenF1Error", "SessionInProgressError", "openf1_source"]
