"""OpenF1's rate limit: at most N requests per sliding window of S seconds per client IP (free tier 30/10)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    requests: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"30/10"`` -> 30 requests per 10 s; ``"0"`` (or ``"off"``) -> no limit."""
        if text.strip().lower() in ("0", "off", "none", ""):
            return None
        count, sep, seconds = text.partition("/")
        try:
            limit = cls(int(count), float(seconds) if sep else 1.0)
        except ValueError:
            raise ValueError(f"bad rate limit {text!r}: use REQUESTS/SECONDS such as 30/10, or 0 to disable") from None
        if limit.requests <= 0 or limit.seconds <= 0:
            return None
        return limit


class SlidingWindowLimiter:
    """Counts accepted requests per key in a sliding window; refused requests do not count."""

    def __init__(self, limit: RateLimit | None) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def check(self, key: str, now: float | None = None) -> float | None:
        """None if the request may go ahead (and counts it); else the seconds until it would be accepted."""
        limit = self.limit
        if limit is None:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - limit.seconds:
                seen.popleft()
            if len(seen) >= limit.requests:
                return max(seen[0] + limit.seconds - now, 0.0)
            seen.append(now)
            return None

    def reset(self, limit: RateLimit | None) -> None:
        with self._lock:
            self.limit = limit
            self._seen.clear()


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
