"""A small HTTP client for OpenF1: client-side rate limit, bounded retries with jitter, OpenF1's status codes.

- 404 ``{"detail": "No results found."}`` is an empty result, not an error.
- 429 waits (``Retry-After`` when sent, else exponential backoff with jitter); 5xx, timeouts, dropped
  connections and truncated bodies are retried the same way, a bounded number of times.
- 401 "session in progress" stops the load (``SessionInProgressError``): retry after the session, or set
  ``OPENF1_USERNAME``/``OPENF1_PASSWORD`` to use a bearer token (refreshed before its hour runs out).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import requests

T = TypeVar("T")
Params = dict[str, Any] | list[tuple[str, str, Any]] | None

DEFAULT_BASE_URL = "https://api.openf1.org/v1"
TOKEN_LIFETIME_S = 3600
_READ_BYTES = 1 << 20


class OpenF1Error(RuntimeError):
    """A request that failed for good; the message says what to do."""


class SessionInProgressError(OpenF1Error):
    """OpenF1 refuses unauthenticated requests while a session is live."""


@dataclass
class RateLimiter:
    """At most ``max_requests`` in any ``period_s`` window (OpenF1 publishes 30 per 10 s for free use)."""

    max_requests: int = 30
    period_s: float = 10.0
    _sent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self) -> None:
        if self.max_requests <= 0:
            return
        with self._lock:
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= self.period_s:
                self._sent.popleft()
            if len(self._sent) >= self.max_requests:
                time.sleep(self.period_s - (now - self._sent[0]) + 0.01)
                self._sent.popleft()
            self._sent.append(time.monotonic())


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    timeout_s: float = 30.0
    connect_timeout_s: float = 5.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff_s)
            except ValueError:
                pass
        base = min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
        return base / 2 + random.uniform(0, base / 2)


class OpenF1Client:
    """GET ``<base_url>/<endpoint>?<params>`` returning the parsed JSON records (``[]`` when none)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        rate_limit: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.rate_limit = rate_limit or RateLimiter()
        self.retry = retry or RetryPolicy()
        self.username = username if username is not None else os.environ.get("OPENF1_USERNAME")
        self.password = password if password is not None else os.environ.get("OPENF1_PASSWORD")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "openf1-warehouse"
        self._token: str | None = None
        self._token_expires = 0.0
        self.requests_sent = 0
        self._contacted = False  # a refused connection before any answer means a wrong URL, not a blip
        self.retries = 0
        self._counting = threading.Lock()  # telemetry fetches from two threads

    # -- auth ---------------------------------------------------------------------------------------------
    def _token_url(self) -> str:
        root = self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url
        return f"{root}/token"

    def _auth_headers(self) -> dict[str, str]:
        if not (self.username and self.password):
            return {}
        if self._token is None or time.monotonic() > self._token_expires - 60:
            response = self.session.post(
                self._token_url(),
                data={"username": self.username, "password": self.password},
                timeout=(self.retry.connect_timeout_s, self.retry.timeout_s),
            )
            if response.status_code != 200:
                raise OpenF1Error(
                    f"OpenF1 refused the credentials in OPENF1_USERNAME/OPENF1_PASSWORD (HTTP {response.status_code})"
                )
            body = response.json()
            self._token = body["access_token"]
            self._token_expires = time.monotonic() + float(body.get("expires_in", TOKEN_LIFETIME_S))
        return {"Authorization": f"Bearer {self._token}"}

    # -- requests -----------------------------------------------------------------------------------------
    def url(self, endpoint: str, params: Params = None) -> str:
        """``<base>/<endpoint>?<query>``; ``params`` as a dict of equalities or (field, operator, value) triples.

        OpenF1 writes comparisons inside the key (``date>=2024-03-02``, ``date<2024-03-03``), so the query
        string is built here rather than by ``requests``, which would escape the operators.
        """
        if not params:
            return f"{self.base_url}/{endpoint}"
        triples = [(k, "=", v) for k, v in params.items()] if isinstance(params, dict) else list(params)
        query = "&".join(f"{field}{op}{quote(str(value), safe=':-.')}" for field, op, value in triples)
        return f"{self.base_url}/{endpoint}?{query}"

    def get_raw(self, endpoint: str, params: Params = None) -> bytes:
        """The body of a successful answer (``b"[]"`` for OpenF1's 404 "No results found.").

        Only its brackets are checked (a cut answer also fails its Content-Length): the caller parses it, and
        telemetry bodies of 80 MB are never turned into Python objects here.
        """
        return self._fetch(endpoint, params, _bracketed)

    def get(self, endpoint: str, params: Params = None) -> list[dict[str, Any]]:
        """The records of a successful answer (``[]`` for OpenF1's 404); a body that does not parse is retried."""
        return self._fetch(endpoint, params, _parsed_array)

    def _fetch(self, endpoint: str, params: Params, accept: Callable[[bytes], T | None]) -> T:
        """GET with the rate limit and retries; ``accept`` turns a 200 body into the result, or None if cut."""
        url = self.url(endpoint, params)
        last_problem = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            self.rate_limit.wait()
            with self._counting:
                self.requests_sent += 1
            retry_after = None
            try:
                response = self.session.get(
                    url,
                    headers=self._auth_headers(),
                    timeout=(self.retry.connect_timeout_s, self.retry.timeout_s),
                    stream=True,
                )
                # read in 1 MB pieces, not requests' 10 kB ones: a telemetry body is ~80 MB
                body = b"".join(response.iter_content(chunk_size=_READ_BYTES))
            except requests.exceptions.ConnectionError as error:
                last_problem = f"connection failed ({_reason(error)})"
                if _is_unreachable(error) or not self._contacted:
                    raise OpenF1Error(
                        f"{self.base_url} is unreachable ({_reason(error)}): check the network, "
                        "or load offline with SOURCE=sample or a snapshot folder"
                    ) from None
            except (requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as error:
                last_problem = f"{type(error).__name__}"
            else:
                self._contacted = True
                status = response.status_code
                if status == 200:
                    result = accept(body)
                    if result is not None:
                        return result
                    last_problem = "truncated or invalid JSON body"
                elif status == 404 and _no_results(body):
                    return accept(b"[]")  # type: ignore[return-value] - "[]" is always accepted
                elif status == 401:
                    raise SessionInProgressError(
                        f"OpenF1 answered 401 for {url}: a session is live and unauthenticated access is paused; "
                        "retry after the session, or set OPENF1_USERNAME and OPENF1_PASSWORD"
                    )
                elif status == 429 or status >= 500:
                    last_problem = f"HTTP {status}"
                    retry_after = response.headers.get("Retry-After")
                else:
                    detail = _detail(body)
                    raise OpenF1Error(f"{url} answered HTTP {status}: {detail}")
            if attempt < self.retry.max_attempts:
                with self._counting:
                    self.retries += 1
                time.sleep(self.retry.delay(attempt, retry_after))
        raise OpenF1Error(f"{url} still failing after {self.retry.max_attempts} attempts ({last_problem}); rerun later")


def _bracketed(body: bytes) -> bytes | None:
    stripped = body.strip()
    return body if stripped.startswith(b"[") and stripped.endswith(b"]") else None


def _parsed_array(body: bytes) -> list[dict[str, Any]] | None:
    try:
        records = json.loads(body)
    except ValueError:
        return None
    return records if isinstance(records, list) else None


def _no_results(body: bytes) -> bool:
    return "no results" in _detail(body).lower()


def _detail(body: bytes) -> str:
    try:
        return str(json.loads(body).get("detail", ""))[:200]
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")


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
    return type(error).__name__


def _is_unreachable(error: Exception) -> bool:
    """DNS and routing failures will not heal within a retry loop."""
    return any(marker in str(error) for marker in _UNREACHABLE)
