"""The sandbox's clock: the only source of "now" for expiry, quotas and publishing.

A *frozen* clock stands still until it is advanced (through the admin API or
in-process), so tests move time by hours without sleeping and get exact
numbers back. A *running* clock follows real time, shifted by whatever it was
advanced by; the served demo uses it so that publishing completes on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Times the sandbox can reason about (dates, quota days): 1970 to 2100.
LATEST = 4_102_444_800.0


def _checked(now: float) -> float:
    if not 0 <= now <= LATEST:
        raise ValueError("the sandbox clock stays between 1970 and 2100 (epoch 0..4102444800)")
    return float(now)


@dataclass(frozen=True)
class ClockState:
    """What is persisted: the shift from real time, and the frozen instant if frozen."""

    offset: float
    frozen_at: float | None


class SandboxClock:
    """Sandbox time in epoch seconds.

    >>> clock = SandboxClock(start=1_700_000_000)
    >>> clock.advance(7200)
    1700007200.0
    """

    def __init__(self, start: float | None = None, *, running: bool = False) -> None:
        now = time.time() if start is None else _checked(start)
        self._lock = threading.Lock()
        self._offset = now - time.time()
        self._frozen_at: float | None = None if running else now
        self.on_change: Callable[[ClockState], None] | None = None
        """Called after every advance/set_time (the sandbox persists the clock with it)."""

    @property
    def running(self) -> bool:
        return self._frozen_at is None

    def now(self) -> float:
        frozen = self._frozen_at
        return frozen if frozen is not None else time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (never back) by ``seconds``; returns the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward; use set_time() to go back")
        _checked(self.now() + seconds)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
        return self._changed()

    def set_time(self, now: float) -> float:
        """Jump to ``now`` (epoch seconds), forward or back."""
        now = _checked(now)
        with self._lock:
            self._offset = now - time.time()
            if self._frozen_at is not None:
                self._frozen_at = float(now)
        return self._changed()

    def _changed(self) -> float:
        if self.on_change is not None:
            self.on_change(self.state())
        return self.now()

    def state(self) -> ClockState:
        with self._lock:
            return ClockState(self.now() - time.time(), self._frozen_at)

    def restore(self, state: ClockState) -> None:
        """Resume a persisted clock, keeping this clock's mode (frozen or running)."""
        with self._lock:
            resumed = state.frozen_at if state.frozen_at is not None else time.time() + state.offset
            self._offset = resumed - time.time()
            if self._frozen_at is not None:
                self._frozen_at = resumed
