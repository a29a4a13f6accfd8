"""Letting a lock's release run to its end even when the caller is being cancelled.

A cancelled token fetch (a timeout, a web request whose client went away)
still has to give back the locks it holds. anyio and Starlette cancel scopes
deliver their cancellation again at every ``await`` inside the scope, so a
plain ``await release()`` would be interrupted too, and the lock would stay
held: for ever with an in-process lock, for ``lock_timeout`` in Redis.
"""

from __future__ import annotations

import asyncio
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
