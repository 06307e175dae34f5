"""The replay server: any snapshot folder served over HTTP the way api.openf1.org answers.

Run ``python -m openf1_replay.server --snapshot DIR`` or, in Python, ``with ReplayServer(DIR) as server: ...``.
Modules: ``query`` (filters -> SQL), ``store`` (DuckDB tables), ``faults``, ``ratelimit``, ``auth``,
``render`` (answer bodies), ``app`` (the HTTP handler), ``runner`` (ReplayServer), ``__main__`` (the CLI),
``live`` (``--live``: the virtual clock, what is visible when), ``mqtt`` (publishing the live stream).
"""

from openf1_replay.server.faults import FaultConfig, FaultSpecError
from openf1_replay.server.live import LiveSettings
from openf1_replay.server.ratelimit import RateLimit
from openf1_replay.server.runner import ReplayServer

__all__ = ["FaultConfig", "FaultSpecError", "LiveSettings", "RateLimit", "ReplayServer"]
