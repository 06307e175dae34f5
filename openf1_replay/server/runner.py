"""ReplayServer: a snapshot served over HTTP from a background thread (for tests and the CLI).

    with ReplayServer("../shared/openf1-real/2024-season", rate_limit=None) as server:
        urllib.request.urlopen(f"{server.base_url}/laps?session_key=9472")

Loading the snapshot happens in the constructor (raising ``snapshot.SnapshotError`` for a bad folder), so a
server that exists serves. Faults and the rate limit can be changed while it runs.

``live=LiveSettings(speed=20, ...)`` serves the snapshot as if its followed session were running now (see
``live.py``); with ``LiveSettings.mqtt`` the records are also published to that MQTT broker (``mqtt.py``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from openf1_replay.server.app import AppState, ReplayHTTPServer
from openf1_replay.server.auth import TOKEN_SECONDS, TokenIssuer
from openf1_replay.server.faults import FaultConfig, FaultPlan
from openf1_replay.server.live import LiveSettings, LiveView
from openf1_replay.server.ratelimit import RateLimit, SlidingWindowLimiter
from openf1_replay.server.store import LAZY_SESSIONS, SnapshotStore

if TYPE_CHECKING:  # paho-mqtt is imported only by a server that publishes
    from openf1_replay.server.mqtt import Publisher

RateLimitSetting = RateLimit | tuple[int, float] | str | int | None


def as_rate_limit(setting: RateLimitSetting) -> RateLimit | None:
    """``(30, 10.0)``, ``"30/10"`` or a RateLimit; ``None``, ``0`` or ``"0"`` disable the limit."""
    if setting is None or setting == 0:
        return None
    if isinstance(setting, RateLimit):
        return setting
    if isinstance(setting, str):
        return RateLimit.parse(setting)
    if isinstance(setting, tuple):
        requests, seconds = setting
        return RateLimit(int(requests), float(seconds)) if requests and seconds else None
    raise ValueError(f"bad rate limit {setting!r}: use (requests, seconds), 'N/S' or None")


def _mqtt() -> ModuleType:
    """The MQTT side (paho-mqtt), imported only by a server that publishes or mirrors tokens."""
    from openf1_replay.server import mqtt

    return mqtt


class ReplayServer:
    def __init__(
        self,
        snapshot: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: RateLimitSetting = (30, 10.0),
        faults: FaultConfig | str | None = None,
        credentials: tuple[str, str] | None = None,
        db_path: Path | str | None = None,
        retry_after: bool = False,
        quiet: bool = True,
        lazy_sessions: int = LAZY_SESSIONS,
        live: LiveSettings | None = None,
    ) -> None:
        self.snapshot = Path(snapshot)
        store = SnapshotStore(self.snapshot, db_path=db_path, lazy_sessions=lazy_sessions)
        config = FaultConfig.parse(faults) if isinstance(faults, str) else faults
        self.publisher: Publisher | None = None
        try:
            view = LiveView(store, live) if live is not None else None
            on_issue = (
                _mqtt().PasswordBook(str(live.mqtt_passwd_file), live.mqtt_broker_pid)
                if live and live.mqtt_passwd_file
                else None
            )
            tokens = TokenIssuer(credentials, live.token_seconds if live else TOKEN_SECONDS, on_issue)
            self.state = AppState(
                store=store,
                limiter=SlidingWindowLimiter(as_rate_limit(rate_limit)),
                faults=FaultPlan(config),
                tokens=tokens,
                retry_after=retry_after,
                quiet=quiet,
                live=view,
            )
            if view is not None and live is not None and live.mqtt:
                self.publisher = _mqtt().Publisher(view, live.mqtt, live.mqtt_username, live.mqtt_password)
            self.httpd = ReplayHTTPServer((host, port), self.state)
        except BaseException:
            store.close()
            raise
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def live(self) -> LiveView | None:
        """The live clock and tables (None without ``live``)."""
        return self.state.live

    @property
    def host(self) -> str:
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    # ------------------------------------------------------------------------------------ runtime knobs

    @property
    def faults(self) -> FaultConfig:
        return self.state.faults.config

    @faults.setter
    def faults(self, config: FaultConfig | str | None) -> None:
        """New faults; the request numbering starts over so the new schedule is reproducible."""
        parsed = FaultConfig.parse(config) if isinstance(config, str) else config
        self.state.faults.reset(parsed or FaultConfig())

    def set_rate_limit(self, setting: RateLimitSetting) -> None:
        """A new limit with a fresh window for every client."""
        self.state.limiter.reset(as_rate_limit(setting))

    @property
    def request_count(self) -> int:
        """Requests to /v1/<endpoint> admitted by the rate limiter since start or the last faults change."""
        return self.state.faults.count

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> ReplayServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="replay-server", daemon=True
            )
            self._thread.start()
            if self.publisher is not None:
                self.publisher.start()
        return self

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.publisher is not None:
            self.publisher.stop()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()
        self.state.store.close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
