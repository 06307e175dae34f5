"""OpenF1's push channel: MQTT (TLS 8883, or websockets 8084 at /mqtt), topics ``v1/<endpoint>``, the account's
token as the password. Messages are QoS 0 and not retained: what is published while we are disconnected is
gone, so every (re)connect asks for a REST backfill from the cursors (``needs_backfill``), and a refused login
fetches a new token before the next try (tokens last an hour).

paho-mqtt runs the connection in its own thread and reconnects by itself; messages wait in a queue the loop
drains once per cycle.
"""

from __future__ import annotations

import contextlib
import json
import queue
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openf1_api import OpenF1Client

DEFAULT_PORTS = {"tcp": 8883, "websockets": 8084}


@dataclass(frozen=True)
class MqttSettings:
    host: str
    port: int
    transport: str = "tcp"  # tcp | websockets
    tls: bool = True
    path: str = "/mqtt"  # websockets only


class MqttFeed:
    """Subscribed to ``v1/<endpoint>`` for each endpoint; ``drain`` returns (endpoint, message) pairs."""

    def __init__(self, settings: MqttSettings, client: OpenF1Client, endpoints: Sequence[str]) -> None:
        import paho.mqtt.client as paho

        self.settings, self.api, self.endpoints = settings, client, tuple(endpoints)
        self.messages: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.needs_backfill = True  # the first subscription, and every one after a reconnect: a REST backfill
        self.connects = 0
        self.refusals = 0
        self.problem = ""
        self._lock = threading.Lock()
        self._mqtt = paho.Client(paho.CallbackAPIVersion.VERSION2, transport=settings.transport)
        if settings.transport == "websockets":
            self._mqtt.ws_set_options(path=settings.path)
        if settings.tls:
            self._mqtt.tls_set_context(ssl.create_default_context())
        self._mqtt.reconnect_delay_set(min_delay=1, max_delay=30)
        self._mqtt.on_connect = self._on_connect
        self._mqtt.on_disconnect = self._on_disconnect
        self._mqtt.on_message = self._on_message
        self._mqtt.on_subscribe = self._on_subscribe
        self._login()

    def _login(self) -> None:
        self._mqtt.username_pw_set(self.api.username or "openf1", self.api.bearer_token())

    def start(self) -> None:
        self._mqtt.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self._mqtt.loop_start()

    def stop(self) -> None:
        self._mqtt.disconnect()
        self._mqtt.loop_stop()

    @property
    def connected(self) -> bool:
        return self._mqtt.is_connected()

    def drain(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        while True:
            try:
                out.append(self.messages.get_nowait())
            except queue.Empty:
                return out

    def take_problem(self) -> str:
        """What went wrong with the connection since the last call ("" when nothing did)."""
        problem, self.problem = self.problem, ""
        return problem

    def take_backfill(self) -> bool:
        """Whether a (re)connect happened since the last call (then the caller backfills over REST)."""
        with self._lock:
            due, self.needs_backfill = self.needs_backfill, False
            return due

    # paho's thread -------------------------------------------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            self.refusals += 1
            self.problem = f"MQTT login refused ({reason_code}): fetching a new token"
            self.api.forget_token()
            try:
                self._login()  # paho's next automatic try sends the new token
            except Exception as error:  # the REST side will report the same failure in one line
                self.problem = f"MQTT login refused and no new token ({error})"
            return
        self.connects += 1
        client.subscribe([(f"v1/{name}", 0) for name in self.endpoints])

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reason_codes: Any, properties: Any) -> None:
        # subscribed: from now on the broker sends us what is published; what came before is for the backfill
        with self._lock:
            self.needs_backfill = True

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self.problem = f"MQTT disconnected ({reason_code}): reconnecting"
        with contextlib.suppress(Exception):  # the REST side reports a failing token in one line
            self._login()  # a token that expired meanwhile would be refused

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        endpoint = message.topic.removeprefix("v1/")
        try:
            payload = json.loads(message.payload)
        except ValueError:
            return
        if isinstance(payload, dict):
            self.messages.put((endpoint, payload))
