"""The HTTP handler: OpenF1's routes, statuses and error bodies over a SnapshotStore.

``GET /v1/<endpoint>?<filters>`` answers a JSON array (or CSV with ``csv=true``); an empty result is
404 ``{"detail": "No results found."}``, an unknown endpoint 404 ``{"detail": "Not Found"}``, a bad filter 422,
car_data/location without a session_key 500 (OpenF1 times out on those). ``POST /token`` issues bearer tokens
when the server has credentials. Every other method is 405. The rate limiter runs first, then (live mode) the
401 of a session in progress, then the faults. In live mode (``AppState.live``, see ``live.py``) answers hold
what is visible at the virtual now, ``latest`` follows the virtual now and the ``Date`` header carries it.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import sys
import time
import traceback
from collections.abc import Generator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from openf1_replay import snapshot
from openf1_replay.server.auth import TokenIssuer
from openf1_replay.server.faults import SESSION_IN_PROGRESS, Decision, FaultPlan
from openf1_replay.server.live import LiveView
from openf1_replay.server.query import Query, QueryError, compile_query, parse_query
from openf1_replay.server.ratelimit import SlidingWindowLimiter, retry_after_header
from openf1_replay.server.render import csv_bytes, json_chunks, json_length, lines_as_array
from openf1_replay.server.store import SnapshotStore

NO_RESULTS = "No results found."
TELEMETRY_TOO_BROAD = (
    "Internal Server Error: query too large (the real API times out); "
    "narrow car_data/location to a session_key, a driver_number and a date window"
)


def _once(body: bytes) -> Generator[bytes, None, None]:
    yield body


@dataclass
class AppState:
    """What every request handler shares; the runner swaps ``faults``/``limiter`` settings at runtime."""

    store: SnapshotStore
    limiter: SlidingWindowLimiter
    faults: FaultPlan
    tokens: TokenIssuer
    retry_after: bool = False
    quiet: bool = True
    live: LiveView | None = None


class ReplayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: AppState) -> None:
        self.state = state
        super().__init__(address, ReplayHandler)


class ReplayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "openf1-replay/0.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, a keep-alive client's delayed
    # ACK holds every answer back ~40 ms. TCP_NODELAY sends at once.
    disable_nagle_algorithm = True
    server: ReplayHTTPServer

    # ---------------------------------------------------------------------------------------- plumbing

    @property
    def state(self) -> AppState:
        return self.server.state

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header: the virtual now in live mode."""
        live = self.state.live
        if live is not None and timestamp is None:
            return email.utils.formatdate(live.now(), usegmt=True)
        return super().date_time_string(timestamp)

    def log_message(self, format: str, *args: object) -> None:
        if not self.state.quiet:  # the real time to the millisecond: request budgets are checked from this log
            now = time.time()
            stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
            sys.stderr.write(f"{stamp} {self.address_string()} {format % args}\n")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json", headers)

    def _detail(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self._send_json(status, {"detail": detail}, headers)

    def _stream(
        self,
        status: int,
        chunks: Generator[bytes | memoryview, None, None],
        length: int,
        content_type: str,
        cut: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send ``length`` bytes from ``chunks``; with ``cut`` stop halfway and drop the connection."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        budget = length // 2 if cut else length
        try:
            for chunk in chunks:
                if len(chunk) >= budget:
                    self.wfile.write(chunk[:budget])
                    break
                self.wfile.write(chunk)
                budget -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception:
            # the headers are out: an error now (a file that fails to read part-way) can only cut the answer
            # short, which the client sees against Content-Length; a 500 body here would be read as data
            traceback.print_exc(file=sys.stderr)
            cut = True
        finally:
            chunks.close()
        if cut:
            self.close_connection = True

    def _guarded(self, handler: str) -> None:
        try:
            getattr(self, handler)()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left (e.g. timed out on a slow answer)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            with contextlib.suppress(OSError):
                self._detail(500, "Internal Server Error")
            self.close_connection = True

    def _admitted(self) -> bool:
        """The rate limiter: False (after answering 429) when the client is over its limit."""
        wait = self.state.limiter.check(self.client_address[0])
        if wait is None:
            return True
        headers = {"Retry-After": retry_after_header(wait)} if self.state.retry_after else None
        self._detail(429, "Rate exceeded", headers)
        return False

    # ---------------------------------------------------------------------------------------- methods

    def do_GET(self) -> None:
        self._guarded("_get")

    def do_POST(self) -> None:
        self._guarded("_post")

    def _refuse_method(self) -> None:
        self.close_connection = True
        self._detail(405, "Method Not Allowed", {"Allow": "GET", "Connection": "close"})

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _refuse_method

    def _post(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace")) if length else {}
        if urlsplit(self.path).path.rstrip("/") != "/token":
            self._refuse_method()
            return
        if not self._admitted():
            return
        if not self.state.tokens.enabled:
            self._detail(404, "Not Found")
            return
        answer = self.state.tokens.issue(form.get("username", [""])[0], form.get("password", [""])[0])
        if answer is None:
            self._detail(401, "Invalid username or password")
            return
        self._send_json(200, answer)

    def _get(self) -> None:
        url = urlsplit(self.path)
        if not self._admitted():
            return
        path = url.path.rstrip("/")
        if path in ("", "/v1"):
            self._send(200, b"Welcome to the OpenF1 replay server!", "text/plain; charset=utf-8")
            return
        endpoint = path[len("/v1/") :].lower() if path.startswith("/v1/") else ""
        if endpoint not in snapshot.ENDPOINTS:
            self._detail(404, "Not Found")
            return
        authenticated = self.state.tokens.valid(self.headers.get("Authorization"))
        live = self.state.live
        if live is not None and not authenticated and live.in_progress():
            self._detail(401, SESSION_IN_PROGRESS)
            return
        decision = self.state.faults.next(authenticated)
        if decision.status is not None:
            headers = {"Retry-After": "1"} if decision.status == 429 and self.state.retry_after else None
            self._detail(decision.status, decision.detail, headers)
            return
        if decision.delay:
            time.sleep(decision.delay)
        try:
            query = parse_query(url.query)
        except QueryError as error:
            self._detail(422, str(error))
            return
        if endpoint in snapshot.TELEMETRY_ENDPOINTS and not query.has_equality("session_key"):
            self._detail(500, TELEMETRY_TOO_BROAD)
            return
        self._answer(endpoint, query, decision)

    def _answer(self, endpoint: str, query: Query, decision: Decision) -> None:
        store = self.state.store
        if not store.has(endpoint):
            self._detail(404, NO_RESULTS)
            return
        changed = self.state.faults.config.changed_fields(endpoint)
        live = self.state.live
        now = live.now() if live is not None else 0.0
        latest = live.latest(now) if live is not None else store.latest
        session = query.sole_key("session_key", latest)
        # live: never the whole file (it would leak the future)
        ordered = store.ordered_file(endpoint, session) if session is not None and live is None else None
        if ordered is not None and not query.csv and not changed:
            # a whole session whose file is already in answer order: its lines are the answer, unparsed
            path, entry = ordered
            length = entry.size + 1  # "[" + the text with its newlines turned into "," and the last into "]"
            self._stream(200, lines_as_array(store.read_lines(path)), length, "application/json", decision.truncate)
            return
        sql = compile_query(query, store.typed_columns[endpoint], latest)
        where, params = sql.where, list(sql.params)
        if live is not None:
            visible, visible_params = live.visibility(endpoint, now)
            where, params = f"({where}) AND {visible}", [*params, *visible_params]
        sessions = query.keys("session_key", latest)
        selection = store.select(endpoint, where, params, sessions)
        if selection.count == 0:
            self._detail(404, NO_RESULTS)
            return
        batches = store.texts(endpoint, where, params, selection, sessions)
        if query.csv:
            header = store.field_names(endpoint, where, params, sessions)
            body = csv_bytes(batches, header, changed)
            headers = {"Content-Disposition": f"attachment; filename={endpoint}.csv"}
            self._stream(200, _once(body), len(body), "text/csv; charset=utf-8", decision.truncate, headers)
        elif changed:
            body = b"".join(json_chunks(batches, changed))
            self._stream(200, _once(body), len(body), "application/json", decision.truncate)
        else:
            length = json_length(selection.count, selection.text_bytes)
            self._stream(200, json_chunks(batches), length, "application/json", decision.truncate)
