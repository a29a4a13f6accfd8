"""Async helpers for token locks: holding a blocking lock, and releasing one whatever happens.

Holding a blocking lock from asyncio code without blocking the event loop
(:class:`HeldInThread`). A sync store's lock (a ``threading.Lock``, an
``flock``, a redis-py ``Lock``) may wait for seconds while another process
fetches a token. Waiting for it on the event loop would freeze every other
task, and could deadlock if the holder is another task of the same loop. So
the lock is taken and released on one dedicated thread: some locks
(``RLock``, thread-local redis locks) may only be released by the thread that
took them.

Letting a lock's release run to its end even when the caller is being
cancelled (:func:`finish`). A cancelled token fetch (a timeout, a web request
whose client went away) still has to give back the locks it holds. anyio and
Starlette cancel scopes deliver their cancellation again at every ``await``
inside the scope, so a plain ``await release()`` would be interrupted too, and
the lock would stay held: for ever with an in-process lock, for
``lock_timeout`` in Redis.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TypeVar

import anyio

T = TypeVar("T")


async def finish(future: asyncio.Future[T]) -> T:
    """Wait for ``future`` to its end, even if this task is cancelled meanwhile.

    A cancellation that arrives while waiting is held back and raised once the
    future is done, so the caller still stops. The anyio scope keeps scope
    cancellations out; ``asyncio.shield`` keeps a task's own ``cancel()`` from
    cancelling ``future``, and the loop waits again after one.
    """
    interrupted: asyncio.CancelledError | None = None
    while not future.done():
        try:
            with anyio.CancelScope(shield=True):
                await asyncio.shield(future)
        except asyncio.CancelledError as exc:
            if future.cancelled():
                raise  # the work itself was cancelled (its loop is closing): nothing to wait for
            interrupted = exc
        except BaseException:
            break  # the future's own failure, raised below
    if interrupted is not None:
        if not future.cancelled():
            future.exception()  # looked at, so that asyncio does not report it as lost
        raise interrupted
    return future.result()


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
