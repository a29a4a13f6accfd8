"""The fetch lock of the Redis stores: one holder across hosts, and never left behind.

A redis-py ``Lock`` expires by itself ``lock_timeout`` seconds after it was
taken, so a crashed holder cannot block the others for ever. Two more things
keep it from blocking them for that long without need:

* the lock is taken with a token chosen here, so that a caller interrupted
  while asking for it (Ctrl-C, a cancelled task), who cannot know whether Redis
  gave it the lock, can still give it back;
* an async release runs to its end even if the task is being cancelled.

``still_held()`` tells a fetch that outlived ``lock_timeout`` that another
process may have fetched meanwhile (see :class:`~.flow.TokenPolicy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Generic, TypeVar

import redis
import redis.asyncio
import redis.exceptions

from wechat_material.tokens.locking import finish
from wechat_material.tokens.redis_layout import lock_timed_out, redis_failures, warn_lock_lost


def _new_token() -> str:
    # What redis-py would have chosen itself.
    return uuid.uuid1().hex


L = TypeVar("L")  # redis-py's lock, sync or async


class _FetchLock(Generic[L]):
    """What both fetch locks hold: redis-py's lock, its key and its two timeouts."""

    def __init__(
        self, lock: L, key: str, lock_timeout: float, blocking_timeout: float | None
    ) -> None:
        self._lock: L = lock
        self._key = key
        self._lock_timeout = lock_timeout
        self._blocking_timeout = blocking_timeout


class RedisFetchLock(_FetchLock[redis.lock.Lock]):
    """A redis-py lock whose failures are :class:`TokenStoreError`."""

    def __enter__(self) -> RedisFetchLock:
        token = _new_token()
        try:
            with redis_failures(f"take the lock {self._key}"):
                taken = self._lock.acquire(token=token)
        except BaseException:
            # Interrupted (or the reply was lost) after Redis may have set the key.
            with contextlib.suppress(redis.exceptions.RedisError):
                self._lock.do_release(token)
            raise
        if not taken:
            raise lock_timed_out(self._key, self._blocking_timeout)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._lock.release()
        except redis.exceptions.RedisError:
            # Expired meanwhile (the fetch saw it, see still_held), or Redis went
            # away: either way the lock ends by itself after lock_timeout.
            warn_lock_lost(self._key, self._lock_timeout)

    def still_held(self) -> bool:
        """Whether this lock is still ours (False once it expired, or if Redis cannot say)."""
        try:
            return self._lock.owned()
        except redis.exceptions.RedisError:
            return False


class AsyncRedisFetchLock(_FetchLock[redis.asyncio.lock.Lock]):
    """The async twin of :class:`RedisFetchLock`: the same rules, and a release that
    runs to its end even when the task is being cancelled."""

    async def __aenter__(self) -> AsyncRedisFetchLock:
        token = _new_token()
        try:
            with redis_failures(f"take the lock {self._key}"):
                taken = await self._lock.acquire(token=token)
        except BaseException:
            # Cancelled while Redis was answering: the key may be ours all the same.
            await finish(asyncio.ensure_future(self._give_back(token)))
            raise
        if not taken:
            raise lock_timed_out(self._key, self._blocking_timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await finish(asyncio.ensure_future(self._release()))

    async def still_held(self) -> bool:
        """Whether this lock is still ours (False once it expired, or if Redis cannot say)."""
        try:
            return await self._lock.owned()
        except redis.exceptions.RedisError:
            return False

    async def _release(self) -> None:
        try:
            await self._lock.release()
        except redis.exceptions.RedisError:
            # Expired meanwhile, or Redis went away: it expires by itself.
            warn_lock_lost(self._key, self._lock_timeout)

    async def _give_back(self, token: str) -> None:
        with contextlib.suppress(redis.exceptions.RedisError):
            await self._lock.do_release(token.encode())
