"""The one OpenF1 client, used by the loader and the recorder alike. Its policy, for every request:

- **200**: the body. One cut short (or, for ``get``, not a JSON array) is retried like a 5xx.
- **404** ``{"detail": "No results found."}``: an empty result (``[]``), not an error. Any other 404 (an
  endpoint the server does not know) raises ``EndpointNotFound``.
- **429**: always waited out, whatever the client-side rate limit says (it may be off, as against a replay
  server on loopback): ``Retry-After`` seconds when the server sends it, else exponential backoff with jitter.
  Every request of the client holds for that wait, not only the refused one. Bounded by the time waited for one
  request (``RetryPolicy.rate_limited_s``, 10 minutes), not by a count of attempts.
- **5xx, timeouts, dropped connections, cut bodies**: retried with exponential backoff and jitter,
  ``RetryPolicy.max_attempts`` attempts in all; then ``OpenF1Error`` ("… still failing after 6 attempts").
- **401 with credentials** (``OPENF1_USERNAME``/``OPENF1_PASSWORD``): the bearer token expired or was revoked:
  a new one is fetched once and the request retried; a second 401 raises ``AuthenticationError``. A token is
  also renewed a minute (a quarter of its life, if shorter) before the ``expires_in`` it came with. Token
  requests count against the request budget.
- **401 without credentials**: OpenF1 serves only authenticated users while a session is live:
  ``SessionInProgressError``, "authenticate (OPENF1_USERNAME/OPENF1_PASSWORD) or wait until the session ends".
- **Unreachable** (DNS or routing failure, or no connection before any answer): ``UnreachableError`` at once,
  naming the fix the caller gives (``unreachable_fix``).
- **Any other status**: ``OpenF1Error`` with the server's detail.

Messages are one line and name the source by ``source_label`` ("snapshot warehouse/samples/…"), never by a
base URL that may be a replay server's temporary port. ``get_raw`` hands a body on as bytes: an 80 MB telemetry
answer is never turned into Python objects here.

The retry loop is written out rather than built on tenacity: its three budgets (attempts for failures, waiting
time for 429s, one token refresh for 401s) and the shared 429 hold took as many lines as tenacity callbacks
(custom stop, wait and retry predicates sharing per-request tallies) as they do as one plain loop.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

T = TypeVar("T")
Filter = tuple[str, str, object]  # (field, operator, value): ("date", ">=", "2024-03-02T15:00:00+00:00")
Query = Mapping[str, object] | Sequence[Filter] | None
Record = dict[str, Any]

DEFAULT_BASE_URL = "https://api.openf1.org/v1"
TOKEN_LIFETIME_S = 3600
AUTHENTICATE_OR_WAIT = "authenticate (OPENF1_USERNAME/OPENF1_PASSWORD) or wait until the session ends"
_READ_BYTES = 1 << 20


class OpenF1Error(RuntimeError):
    """A request that failed for good; the message is one line naming the fix."""


class SessionInProgressError(OpenF1Error):
    """401 without credentials: OpenF1 refuses unauthenticated requests while a session is live."""


class AuthenticationError(OpenF1Error):
    """The credentials were refused, or a fresh token was refused again."""


class EndpointNotFound(OpenF1Error):
    """404 Not Found (not "No results found."): the server does not know the endpoint."""


class UnreachableError(OpenF1Error):
    """No answer at all from the host: a wrong address or no network."""


@dataclass
class RateLimiter:
    """At most ``max_requests`` sent in any ``period_s`` (OpenF1's free tier allows 30 per 10 s; 0 = no limit),
    and none while a 429's wait (``hold``) runs. Thread-safe."""

    max_requests: int = 30
    period_s: float = 10.0
    _sent: deque[float] = field(default_factory=deque)
    _resume_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (a 429's wait, shared by every thread of the client)."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def wait(self) -> None:
        """Block until a request may be sent, and count it."""
        with self._lock:
            pause = self._resume_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if self.max_requests <= 0:
                return
            window = self.period_s + 0.1  # the server counts arrivals, we count departures
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= window:
                self._sent.popleft()
            if len(self._sent) >= self.max_requests:
                time.sleep(window - (now - self._sent[0]))
                self._sent.popleft()
            self._sent.append(time.monotonic())

    def clear_window(self) -> float:
        """Wait until none of this client's requests is inside the window any more, so that the next program's
        requests (which count their own) never share one with these; returns the seconds waited."""
        with self._lock:
            if self.max_requests <= 0 or not self._sent:
                return 0.0
            pause = self._sent[-1] + self.period_s + 0.1 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._sent.clear()
            return max(0.0, pause)


@dataclass
class RetryPolicy:
    max_attempts: int = 6  # for 5xx, timeouts, dropped connections and cut bodies
    backoff_s: float = 0.5  # the first wait; doubled on each further one, up to max_backoff_s
    max_backoff_s: float = 30.0
    rate_limited_s: float = 600.0  # the most one request waits out 429s in all
    timeout_s: float = 30.0
    connect_timeout_s: float = 5.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and all of ``backoff_s * 2**(attempt-1)`` (capped)."""
        base = min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
        return base / 2 + random.uniform(0, base / 2)


class OpenF1Client:
    """GET ``<base_url>/<endpoint>?<query>`` with the policy of the module docstring."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        rate_limit: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        username: str | None = None,
        password: str | None = None,
        source_label: str | None = None,
        unreachable_fix: str = "check the address and the network",
        notify: Callable[[str], None] | None = None,
        user_agent: str = "openf1-warehouse",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OpenF1Error(f"{base_url!r} is not an OpenF1 base URL: use http(s)://host[:port]/v1")
        self.source_label = source_label or self.base_url
        self.unreachable_fix = unreachable_fix
        self.rate_limit = rate_limit or RateLimiter()
        self.retry = retry or RetryPolicy()
        self.username = username if username is not None else os.environ.get("OPENF1_USERNAME")
        self.password = password if password is not None else os.environ.get("OPENF1_PASSWORD")
        self.notify = notify  # told of every wait and retry ("  HTTP 503: retry 2 in 0.8 s")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.requests_sent = 0
        self.retries = 0
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_margin = 60.0
        self._token_lock = threading.Lock()
        self._counting = threading.Lock()  # telemetry fetches from several threads
        self._contacted = False  # a refused connection before any answer means a wrong address, not a blip
        # the server's clock, from the Date header of its last answer (and when it came, on our monotonic clock):
        # live mode judges "now" by the server, never by this machine's clock (see ``server_now``)
        self._server_date: datetime | None = None
        self._server_date_at = 0.0

    @property
    def has_credentials(self) -> bool:
        return bool(self.username and self.password)

    def server_now(self) -> datetime | None:
        """The server's time now: its last answer's ``Date`` header plus the time since (None before any
        answer with one). Immune to this machine's clock being off: only the interval is measured here."""
        if self._server_date is None:
            return None
        return self._server_date + timedelta(seconds=time.monotonic() - self._server_date_at)

    def bearer_token(self) -> str:
        """A token not due for renewal (fetched or renewed as ``get`` would), for other channels
        that take it as their password (OpenF1's MQTT broker). Needs credentials."""
        if not self.has_credentials:
            raise AuthenticationError(f"{self.source_label}: a token needs OPENF1_USERNAME/OPENF1_PASSWORD")
        for attempt in range(1, self.retry.max_attempts + 1):
            with self._token_lock:
                if self._token is not None and time.monotonic() <= self._token_expires - self._token_margin:
                    return self._token
                self.rate_limit.wait()
                try:
                    answer = self._new_token()
                except requests.exceptions.RequestException as error:  # a blip: tried again like a 5xx
                    self._retried(f"  /token failed ({_reason(error)}): retry {attempt}")
                    answer = (0, {}, b"")
                if answer is None and self._token is not None:
                    return self._token
            time.sleep(self.retry.backoff(attempt))
        raise OpenF1Error(
            f"{self.source_label}: /token still failing after {self.retry.max_attempts} attempts; rerun later"
        )

    def forget_token(self) -> None:
        """Drop the token (another channel found it refused): the next request or ``bearer_token`` gets a new one."""
        with self._token_lock:
            self._token = None

    # -- requests -----------------------------------------------------------------------------------------
    def path(self, endpoint: str, query: Query = None) -> str:
        """``<endpoint>?<query>``; ``query`` as a mapping of equalities or (field, operator, value) filters.

        OpenF1 writes comparisons inside the key (``date>=2024-03-02``, ``date<2024-03-03``), so the query
        string is built here rather than by ``requests``, which would escape the operators.
        """
        if not query:
            return endpoint
        filters = [(k, "=", v) for k, v in query.items()] if isinstance(query, Mapping) else list(query)
        return endpoint + "?" + "&".join(f"{name}{op}{quote(str(value), safe=':-.')}" for name, op, value in filters)

    def url(self, endpoint: str, query: Query = None) -> str:
        return f"{self.base_url}/{self.path(endpoint, query)}"

    def get(self, endpoint: str, query: Query = None) -> list[Record]:
        """The records of the answer (``[]`` for "No results found."); a body that does not parse is retried."""
        return self._fetch(endpoint, query, _parsed_array)

    def get_raw(self, endpoint: str, query: Query = None) -> bytes:
        """The body of the answer as it came (``b"[]"`` for "No results found.").

        Only its brackets are checked (a cut answer also fails its Content-Length): the caller parses it, and
        telemetry bodies of 80 MB are never turned into Python objects here.
        """
        return self._fetch(endpoint, query, _bracketed)

    def _fetch(self, endpoint: str, query: Query, accept: Callable[[bytes], T | None]) -> T:
        """The loop of the policy; ``accept`` turns a 200 body into the result, or None when it is cut."""
        target = self.path(endpoint, query)
        url = f"{self.base_url}/{target}"
        failures = 0  # 5xx, timeouts, dropped connections, cut bodies
        refused = 0  # 429s in a row
        waited = 0.0  # seconds waited out for 429s
        refreshed = False
        while True:
            self.rate_limit.wait()
            with self._counting:
                self.requests_sent += 1
            try:
                status, headers, body = self._exchange(url)
            except requests.exceptions.ConnectionError as error:
                if _is_unreachable(error) or not self._contacted:
                    raise UnreachableError(
                        f"{self.source_label} is unreachable ({_reason(error)}); {self.unreachable_fix}"
                    ) from None
                problem = f"connection failed: {_reason(error)}"
            except requests.exceptions.Timeout:
                problem = f"no answer within {self.retry.timeout_s:g} s"
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
                problem = "answer cut short"
            else:
                if status == 200:
                    result = accept(body)
                    if result is not None:
                        return result
                    problem = "answer cut short or not a JSON array"
                elif status == 404:
                    if "no results" in _detail(body).lower():
                        return accept(b"[]")  # type: ignore[return-value] - "[]" is always accepted
                    raise EndpointNotFound(f"{self.source_label} does not know {endpoint} (404 {_detail(body)!r})")
                elif status == 401:
                    if not self.has_credentials:
                        raise SessionInProgressError(
                            f"{self.source_label} refused {endpoint} (401: a session is live); {AUTHENTICATE_OR_WAIT}"
                        )
                    if refreshed:
                        raise AuthenticationError(
                            f"{self.source_label} refused {endpoint} with a fresh token (401 {_detail(body)!r}); "
                            "check OPENF1_USERNAME/OPENF1_PASSWORD"
                        )
                    refreshed = True
                    with self._token_lock:
                        self._token = None  # expired or revoked: the next attempt gets a new one
                    continue
                elif status == 429:
                    refused += 1
                    delay, why = _retry_after(headers.get("Retry-After")), "Retry-After"
                    if delay is None:
                        delay, why = self.retry.backoff(refused), "backoff"
                    if waited + delay > self.retry.rate_limited_s:
                        raise OpenF1Error(
                            f"{self.source_label}: {target} still rate-limited (HTTP 429) after {waited:.0f} s of "
                            "waiting; rerun later"
                        )
                    waited += delay
                    self._retried(f"  rate limited (HTTP 429): waiting {delay:.1f} s ({why}) before {endpoint}")
                    self.rate_limit.hold(delay)  # slept in rate_limit.wait(), by every thread of the client
                    continue
                elif status >= 500 or status == 408:
                    problem = f"HTTP {status}"
                else:
                    raise OpenF1Error(f"{self.source_label}: {target} answered HTTP {status}: {_detail(body)}")
            failures += 1
            if failures >= self.retry.max_attempts:
                raise OpenF1Error(
                    f"{self.source_label}: {target} still failing after {failures} attempts ({problem}); rerun later"
                )
            delay = self.retry.backoff(failures)
            self._retried(f"  {problem}: retry {failures} of {endpoint} in {delay:.1f} s")
            time.sleep(delay)

    def _exchange(self, url: str) -> tuple[int, Mapping[str, str], bytes]:
        """One GET, after a token request when one is due: (status, headers, body). A token request that is
        refused with 429 or 5xx is answered as the GET would be, so it is retried the same way."""
        headers: dict[str, str] = {}
        if self.has_credentials:
            with self._token_lock:
                if self._token is None or time.monotonic() > self._token_expires - self._token_margin:
                    self.rate_limit.wait()  # a token request counts against the request budget too
                    answer = self._new_token()
                    if answer is not None:
                        return answer
                headers["Authorization"] = f"Bearer {self._token}"
        response = self.session.get(
            url, headers=headers, timeout=(self.retry.connect_timeout_s, self.retry.timeout_s), stream=True
        )
        self._contacted = True  # the server answered: a failure from now on (a body cut short) is a blip
        self._note_server_date(response.headers.get("Date"))
        # read in 1 MB pieces, not requests' 10 kB ones: a telemetry body is ~80 MB
        body = b"".join(response.iter_content(chunk_size=_READ_BYTES))
        return response.status_code, response.headers, body

    def _note_server_date(self, value: str | None) -> None:
        if not value:
            return
        try:
            date = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        self._server_date, self._server_date_at = date, time.monotonic()

    def _new_token(self) -> tuple[int, Mapping[str, str], bytes] | None:
        """POST ``<root>/token``: None once the token is kept, else the answer to retry (429, 5xx)."""
        root = self.base_url.removesuffix("/v1")
        response = self.session.post(
            f"{root}/token",
            data={"username": self.username, "password": self.password},
            timeout=(self.retry.connect_timeout_s, self.retry.timeout_s),
        )
        self._contacted = True
        if response.status_code == 429 or response.status_code >= 500:
            return response.status_code, response.headers, response.content
        try:
            answer = response.json() if response.status_code == 200 else {}
            self._token = str(answer["access_token"])
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError(
                f"{self.source_label} refused the credentials in OPENF1_USERNAME/OPENF1_PASSWORD "
                f"(HTTP {response.status_code}); check them, or unset both to go without a token"
            ) from None
        lifetime = float(answer.get("expires_in", TOKEN_LIFETIME_S))
        self._token_expires = time.monotonic() + lifetime
        self._token_margin = min(60.0, lifetime / 4)  # renewed this long before it expires
        return None

    def _retried(self, note: str) -> None:
        with self._counting:
            self.retries += 1
        if self.notify is not None:
            self.notify(note)


def _bracketed(body: bytes) -> bytes | None:
    stripped = body.strip()
    return body if stripped.startswith(b"[") and stripped.endswith(b"]") else None


def _parsed_array(body: bytes) -> list[Record] | None:
    try:
        records = json.loads(body)
    except ValueError:
        return None
    return records if isinstance(records, list) else None


def _detail(body: bytes) -> str:
    try:
        return str(json.loads(body).get("detail", ""))[:200]
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number, or an HTTP date), or None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


_UNREACHABLE = (
    "Name or service not known",
    "Temporary failure in name resolution",
    "Failed to resolve",
    "Network is unreachable",
    "No route to host",
)


def _reason(error: Exception) -> str:
    text = str(error)
    for marker in (*_UNREACHABLE, "Connection refused", "timed out"):
        if marker in text:
            return marker.lower()
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "timed out"
    return type(error).__name__


def _is_unreachable(error: Exception) -> bool:
    """DNS and routing failures will not heal within a retry loop."""
    return any(marker in str(error) for marker in _UNREACHABLE)
