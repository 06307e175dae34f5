"""dbt's progress as one compact count: ``dbt build: 180/412 nodes, 0 failed``.

On a terminal the line is rewritten in place as nodes finish (at most ten times a second); elsewhere (CI logs, a
pipe) it is printed as a plain line when a quarter, half, three quarters and all of the nodes have finished. A
message said while the count runs (dbt's own info lines, e.g. the cleanup of an interrupted run) goes on a line of
its own above it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

# dbt's node statuses (dbt.artifacts.schemas.results.NodeStatus) that make a build fail
FAILED = frozenset({"error", "fail", "runtime error", "partial success"})
REDRAW_EVERY_S = 0.1
PLAIN_MARKS = (0.25, 0.5, 0.75, 1.0)


class BuildProgress:
    """Counts dbt's finished nodes and shows the count; thread-safe (dbt finishes nodes on several threads)."""

    def __init__(
        self,
        stream: TextIO,
        label: str = "dbt build",
        interactive: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self.interactive = stream.isatty() if interactive is None else interactive
        self.clock = clock
        self.total = 0
        self.done = 0
        self.failed = 0
        self.skipped = 0
        self.warned = 0
        self._lock = threading.Lock()
        self._drawn = ""  # what the terminal line shows now
        self._drawn_at = float("-inf")
        self._marks_printed = 0

    def status(self, text: str) -> None:
        """A phase before the count starts (``reading the project``): on a terminal only."""
        with self._lock:
            if self.interactive:
                self._draw(f"{self.label}: {text}")

    def started(self, total: int) -> None:
        """dbt said how many nodes it will run."""
        with self._lock:
            if not self.total:
                self.total = total
                self._show(force=True)

    def finished(self, status: str) -> None:
        """A node finished with dbt's ``status`` (success, pass, warn, fail, error, skipped, no-op, ...)."""
        with self._lock:
            self.done += 1
            self.failed += status in FAILED
            self.skipped += status == "skipped"
            self.warned += status == "warn"
            self.total = max(self.total, self.done)
            self._show(force=False)

    def say(self, line: str) -> None:
        """A line of its own, above the count."""
        with self._lock:
            if self.interactive and self._drawn:
                self.stream.write("\r" + " " * len(self._drawn) + "\r")
                self.stream.write(line + "\n")
                self.stream.write(self._drawn)
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def close(self, ended: bool = False) -> None:
        """The final count, on a line of its own (nothing when no node ran). ``ended``: dbt finished the run, so
        the nodes that finished are all it ran (its announced total can be more: 379 of 399 with the 20 unit tests)."""
        with self._lock:
            if ended:
                self.total = self.done
            if self.interactive:
                if self.done:
                    self._draw(self.line())
                if self._drawn:
                    self.stream.write("\n")
                    self.stream.flush()
                self._drawn = ""
            elif self.done and self._marks_printed < len(PLAIN_MARKS):
                self._write_plain()
                self._marks_printed = len(PLAIN_MARKS)

    def line(self) -> str:
        """The count: ``dbt build: 180/412 nodes, 0 failed`` (skipped and warned when there are any)."""
        text = f"{self.label}: {self.done}/{self.total} nodes, {self.failed} failed"
        if self.skipped:
            text += f", {self.skipped} skipped"
        if self.warned:
            text += f", {self.warned} warned"
        return text

    def _show(self, force: bool) -> None:
        if self.interactive:
            now = self.clock()
            if force or self.done == self.total or now - self._drawn_at >= REDRAW_EVERY_S:
                self._draw(self.line())
                self._drawn_at = now
            return
        reached = sum(self.total and self.done >= mark * self.total for mark in PLAIN_MARKS)
        if reached > self._marks_printed:
            self._marks_printed = reached
            self._write_plain()

    def _write_plain(self) -> None:
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def _draw(self, text: str) -> None:
        padding = " " * max(0, len(self._drawn) - len(text))
        self.stream.write("\r" + text + padding)
        self.stream.flush()
        self._drawn = text
