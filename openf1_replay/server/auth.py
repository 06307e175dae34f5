"""OpenF1's optional auth: ``POST /token`` with form fields username/password gives a bearer token for 3600 s
(``token_seconds``, real seconds, in live mode). ``on_issue(username, token)`` is told of every token issued."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable

TOKEN_SECONDS = 3600


class TokenIssuer:
    """Issues and checks bearer tokens for one configured username/password (none configured: no tokens)."""

    def __init__(
        self,
        credentials: tuple[str, str] | None,
        token_seconds: float = TOKEN_SECONDS,
        on_issue: Callable[[str, str], None] | None = None,
    ) -> None:
        self.credentials = credentials
        self.token_seconds = token_seconds
        self.on_issue = on_issue
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}

    @property
    def enabled(self) -> bool:
        return self.credentials is not None

    def issue(self, username: str, password: str) -> dict[str, object] | None:
        """The token answer for good credentials, else None."""
        if self.credentials is None:
            return None
        good_user, good_password = self.credentials
        if not (hmac.compare_digest(username, good_user) and hmac.compare_digest(password, good_password)):
            return None
        token = secrets.token_urlsafe(24)
        if self.on_issue is not None:
            self.on_issue(username, token)  # before the answer: the token works everywhere once the client has it
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_seconds
        seconds = int(self.token_seconds) if float(self.token_seconds).is_integer() else self.token_seconds
        return {"access_token": token, "expires_in": seconds, "token_type": "bearer"}

    def valid(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries a live token."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return False
        token = authorization[7:].strip()
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.monotonic()
