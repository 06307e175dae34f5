"""Fault injection: the ways api.openf1.org misbehaves, on a deterministic schedule.

A spec is comma-separated ``key=value`` pairs, e.g.
``error_rate=0.2,burst_429=5,slow_rate=0.1,slow_seconds=3,truncate_rate=0.1,session_in_progress=2,seed=1``:

=========================  ========================================================================================
``seed=N``                 seed of the schedule (default 0): same seed, same request order -> same faults
``error_rate=R``           share of requests answered with a 5xx (cycling through ``error_codes``)
``error_codes=A/B/C``      the 5xx statuses to use (default ``500/502/503``)
``burst_429=N``            N requests in a row answered 429 "Rate exceeded", from the first request on
``burst_every=M``          repeat that burst every M requests (default 0: one burst, at the start)
``slow_rate=R``            share of requests answered only after ``slow_seconds`` (past a client's timeout)
``slow_seconds=S``         delay of a slow answer (default 3)
``truncate_rate=R``        share of answers cut in half: full Content-Length sent, connection closed early
``session_in_progress=N``  the first N requests get 401 "Session in progress..." unless they carry a valid token
``session_in_progress_rate=R``  share of later requests refused the same way
``changed_type=E.F|E.F``   serve field F of endpoint E with numbers turned into strings (schema drift), always
=========================  ========================================================================================

Requests for a known endpoint (``/v1/<endpoint>``) are numbered from 1 in arrival order, after the rate
limiter; the fault for request n depends only on (seed, n), so one client replays the same faults every run.
The checks run in this order and the first that fires answers: 401, 429 burst, 5xx; slow and truncate can
combine. Setting new faults (``ReplayServer.faults = ...``) restarts the numbering.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields

SESSION_IN_PROGRESS = "Session in progress, access is restricted to authenticated users until the session ends."


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed; the message names the bad item and the expected form."""


@dataclass(frozen=True)
class FaultConfig:
    seed: int = 0
    error_rate: float = 0.0
    error_codes: tuple[int, ...] = (500, 502, 503)
    burst_429: int = 0
    burst_every: int = 0
    slow_rate: float = 0.0
    slow_seconds: float = 3.0
    truncate_rate: float = 0.0
    session_in_progress: int = 0
    session_in_progress_rate: float = 0.0
    changed_type: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def parse(cls, spec: str) -> FaultConfig:
        """``"error_rate=0.2,seed=1"`` -> FaultConfig; empty spec -> no faults."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, sep, text = item.partition("=")
            name = name.strip()
            if not sep or name not in known:
                raise FaultSpecError(f"bad fault {item!r}: use name=value with name in {', '.join(known)}")
            try:
                values[name] = _parse_value(name, text.strip())
            except ValueError as error:
                raise FaultSpecError(f"bad fault {item!r}: {error}") from None
        config = cls(**values)  # type: ignore[arg-type]
        config.check()
        return config

    def check(self) -> None:
        for name in ("error_rate", "slow_rate", "truncate_rate", "session_in_progress_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise FaultSpecError(f"{name} must be between 0 and 1")
        if any(code < 500 or code > 599 for code in self.error_codes) or not self.error_codes:
            raise FaultSpecError("error_codes must be 5xx statuses such as 500/502/503")

    def changed_fields(self, endpoint: str) -> set[str]:
        return {name for target, name in self.changed_type if target == endpoint}


def _parse_value(name: str, text: str) -> object:
    if name == "error_codes":
        return tuple(int(code) for code in text.split("/"))
    if name == "changed_type":
        pairs = []
        for target in text.split("|"):
            endpoint, dot, field_name = target.partition(".")
            if not dot or not endpoint or not field_name:
                raise ValueError("expected endpoint.field, several joined by '|'")
            pairs.append((endpoint, field_name))
        return tuple(pairs)
    if name in ("seed", "burst_429", "burst_every", "session_in_progress"):
        return int(text)
    return float(text)


@dataclass(frozen=True)
class Decision:
    """What to do to one request: refuse it with ``status`` (and a detail), and/or delay and cut its answer."""

    status: int | None = None
    detail: str = ""
    delay: float = 0.0
    truncate: bool = False


_DETAILS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class FaultPlan:
    """Numbers requests and decides their faults; thread-safe; ``reset`` starts the schedule over."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.config = config or FaultConfig()
        self.count = 0

    def reset(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self.count = 0

    def _draw(self, kind: str, number: int) -> float:
        return random.Random(f"{self.config.seed}:{kind}:{number}").random()

    def next(self, authenticated: bool = False) -> Decision:
        with self._lock:
            self.count += 1
            number, config = self.count, self.config
        refused = number <= config.session_in_progress or self._draw("401", number) < config.session_in_progress_rate
        if refused and not authenticated:
            return Decision(401, SESSION_IN_PROGRESS)
        if config.burst_429 and (
            (number - 1) % config.burst_every < config.burst_429 if config.burst_every else number <= config.burst_429
        ):
            return Decision(429, "Rate exceeded")
        if self._draw("error", number) < config.error_rate:
            code = config.error_codes[int(self._draw("code", number) * len(config.error_codes))]
            return Decision(code, _DETAILS.get(code, "Server Error"))
        delay = config.slow_seconds if self._draw("slow", number) < config.slow_rate else 0.0
        return Decision(delay=delay, truncate=self._draw("truncate", number) < config.truncate_rate)
