"""The live replay's MQTT side: records published as they become visible, as OpenF1's broker sends them.

Topic ``v1/<endpoint>``, payload the record's JSON plus ``_id`` (publish time in epoch ms, strictly increasing)
and ``_key`` (``live.record_key``), QoS 0, not retained. A background thread follows the virtual clock and
publishes every version that became visible since its last pass, in visible order; a lap is thus sent when it
starts and again as each sector completes (same ``_key``, newer ``_id``). Telemetry is not published (OpenF1
has not sent car_data/location live since 2025). If the broker goes away the thread keeps the clock (messages
meanwhile are lost, as with QoS 0) and paho reconnects in the background.

``PasswordBook`` mirrors the REST tokens into mosquitto's password file (``broker.set_password`` + SIGHUP), so
MQTT clients log in with their token as password.
"""

from __future__ import annotations

import sys
import threading
import time

import paho.mqtt.client as mqtt

from openf1_replay import broker
from openf1_replay.server.live import LiveView

TICK_S = 0.05  # real seconds between passes


def split_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); ValueError naming the fix otherwise."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"bad --mqtt {address!r}: use HOST:PORT, e.g. 127.0.0.1:1883")
    return host, int(port)


def payload(text: str, message_id: int, key: str) -> bytes:
    """The record's JSON text with ``_id`` and ``_key`` appended (no re-serialisation)."""
    body = text.rstrip()
    extra = f'"_id": {message_id}, "_key": "{key}"'
    joined = body[:-1].rstrip() + (", " if body[:-1].strip() != "{" else "") + extra + "}"
    return joined.encode("utf-8")


class Publisher:
    """Publishes a LiveView's versions to an MQTT broker from a daemon thread (``start``/``stop``)."""

    def __init__(self, view: LiveView, address: str, username: str | None, password: str | None) -> None:
        self.view = view
        self.host, self.port = split_address(address)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"openf1-replay-{id(self):x}")
        if username:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_connect = self._on_connect
        self.published = 0  # messages handed to a connected client
        self.lost = 0  # messages dropped while disconnected
        self.connected = threading.Event()
        self._last_id = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cursor = view.now()  # what was visible before the publisher started is history, not news

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, reason: object, props: object) -> None:
        if getattr(reason, "is_failure", False):
            print(
                f"mqtt: {self.host}:{self.port} refused the publisher ({reason}); check --mqtt-username/-password",
                file=sys.stderr,
                flush=True,
            )
            return
        self.connected.set()

    def _next_id(self) -> int:
        self._last_id = max(self._last_id + 1, int(time.time() * 1000))
        return self._last_id

    def start(self) -> Publisher:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="replay-mqtt", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            now = self.view.now()
            try:
                rows = self.view.published(self._cursor, now)
            except Exception as error:  # the store closing under us at shutdown
                if not self._stop.is_set():
                    print(f"mqtt: cannot read the live tables ({error})", file=sys.stderr, flush=True)
                return
            self._cursor = now
            for endpoint, key, text, _ in rows:
                if not self.client.is_connected():
                    self.connected.clear()
                    self.lost += 1
                    continue
                info = self.client.publish(f"v1/{endpoint}", payload(text, self._next_id(), key), qos=0)
                if info.rc == mqtt.MQTT_ERR_SUCCESS:
                    self.published += 1
                else:
                    self.lost += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.client.disconnect()
        self.client.loop_stop()


class PasswordBook:
    """Adds each issued token to mosquitto's password file as (username, token) and HUPs the broker."""

    def __init__(self, passwd_file: str, broker_pid: int | None) -> None:
        self.passwd_file, self.broker_pid = passwd_file, broker_pid
        self._lock = threading.Lock()

    def __call__(self, username: str, token: str) -> None:
        with self._lock:
            broker.set_password(self.passwd_file, username, token, self.broker_pid)
