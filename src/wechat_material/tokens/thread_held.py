"""Holding a blocking lock from asyncio code without blocking the event loop.

A sync store's lock (a ``threading.Lock``, an ``flock``, a redis-py ``Lock``)
may wait for seconds while another process fetches a token. Waiting for it on
the event loop would freeze every other task, and could deadlock if the holder
is another task of the same loop. So the lock is taken and released on one
dedicated thread: some locks (``RLock``, thread-local redis locks) may only be
released by the thread that took them.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from types import TracebackType

from wechat_material.tokens.shielded import finish


class HeldInThread:
    """An async context manager that enters and exits ``lock`` on its own thread."""

    def __init__(self, lock: AbstractContextManager[object]) -> None:
        self._lock = lock
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wechat-token-lock")

    async def __aenter__(self) -> None:
        entering = self._thread.submit(self._lock.__enter__)
        try:
            await asyncio.wrap_future(entering)
        except BaseException:
            # Cancelled while waiting (or the lock failed): the thread may still
            # get the lock later, and must then let it go at once.
            entering.add_done_callback(self._release_if_taken)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Submitted before anything is awaited, so no cancellation can skip it;
        # a queued job still runs after shutdown(wait=False).
        releasing = self._thread.submit(self._lock.__exit__, exc_type, exc, tb)
        self._thread.shutdown(wait=False)
        await finish(asyncio.wrap_future(releasing))

    def _release_if_taken(self, entering: Future[object]) -> None:
        if not entering.cancelled() and entering.exception() is None:
            self._thread.submit(self._lock.__exit__, None, None, None)
        self._thread.shutdown(wait=False)
