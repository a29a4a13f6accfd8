"""Token sources for the tests: real functions that count their calls."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

from wechat_material.tokens import TokenGrant


class CountingFetcher:
    """A sync token source: each call issues a new token and is counted.

    ``pause`` keeps each fetch busy for a while so that concurrent callers
    really overlap it; ``error`` makes every call fail with that exception.
    """

    def __init__(
        self, *, expires_in: int = 7200, pause: float = 0.0, error: Exception | None = None
    ) -> None:
        self.expires_in = expires_in
        self.pause = pause
        self.error = error
        self.calls = 0
        self.issued: list[str] = []
        self._serial = itertools.count(1)
        self._guard = threading.Lock()

    def __call__(self) -> TokenGrant:
        with self._guard:
            self.calls += 1
            serial = next(self._serial)
        if self.pause:
            time.sleep(self.pause)
        if self.error is not None:
            raise self.error
        value = f"TOKEN-{serial:04d}-" + "s" * 40
        self.issued.append(value)
        return TokenGrant(value, self.expires_in)


class AsyncCountingFetcher(CountingFetcher):
    """The async twin: the pause is an ``asyncio.sleep``."""

    async def __call__(self) -> TokenGrant:  # type: ignore[override]
        with self._guard:
            self.calls += 1
            serial = next(self._serial)
        if self.pause:
            await asyncio.sleep(self.pause)
        if self.error is not None:
            raise self.error
        value = f"TOKEN-{serial:04d}-" + "a" * 40
        self.issued.append(value)
        return TokenGrant(value, self.expires_in)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class GatedFetcher(CountingFetcher):
    """A sync source whose fetches wait at a gate the test opens.

    ``entered`` is set once a fetch has started, so the test knows a refresh
    is under way before it calls the manager again.
    """

    def __init__(self, *, expires_in: int = 7200) -> None:
        super().__init__(expires_in=expires_in)
        self.gate = threading.Event()
        self.entered = threading.Event()

    def __call__(self) -> TokenGrant:
        self.entered.set()
        if not self.gate.wait(timeout=30):
            raise RuntimeError("the test never opened the gate")
        return super().__call__()


class AsyncGatedFetcher(AsyncCountingFetcher):
    """The async twin of :class:`GatedFetcher` (create it inside the test's loop)."""

    def __init__(self, *, expires_in: int = 7200) -> None:
        super().__init__(expires_in=expires_in)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def __call__(self) -> TokenGrant:  # type: ignore[override]
        self.entered.set()
        await self.gate.wait()
        return await super().__call__()
