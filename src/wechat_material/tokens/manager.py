"""Token managers: one token per appid, fetched by one caller at a time.

:class:`TokenManager` serves threads, :class:`AsyncTokenManager` asyncio
tasks. Both drive the same flows from :class:`~.flow.TokenPolicy`, so they
decide alike:

* **Single flight.** However many threads, tasks or processes (through the
  store's lock) ask at once, one of them fetches and the rest reuse its token.
  Each caller checks the store, takes this manager's lock, checks again, takes
  the store's lock, checks again, and only then fetches.
* **Refresh ahead.** A token with ``refresh_margin`` seconds left or fewer is
  refreshed. While one caller refreshes it, the other callers of this process
  keep using the old token if it still has more than 10 seconds to live, and
  wait for the new one otherwise. Callers in other processes wait for the store's
  lock, then reuse the new token.
* **Compare-and-delete.** ``invalidate(failed)`` forgets the stored token only
  if it is still ``failed``, so a burst of 40001 replies for one stale token
  leads to one new fetch.
* **The newest token wins.** A fetch that outlives the store's lock (Redis's
  expires after ``lock_timeout``) may race another process's fetch: before
  saving, it checks whether it still holds the lock, and if not it keeps a
  token saved meanwhile that was issued later rather than overwrite it.
* **No retries.** A failing fetch (wrong secret, IP not whitelisted, quota
  spent) raises at once, to every caller that was waiting on it. The one
  exception is a refresh *ahead* of expiry: if it fails while the current token
  still has more than 10 seconds, that token keeps being served and the refresh
  is tried again 30 seconds later (a WeChat hiccup at refresh time must not
  fail calls that need no new token yet).

The fetcher decides where tokens come from (``/cgi-bin/token``,
``/cgi-bin/stable_token``, or a token server of your own, see
:mod:`.sources`); the manager only needs ``access_token`` and ``expires_in``.
Tokens never appear whole in logs or reprs.

Example::

    manager = TokenManager("wx1234567890abcdef", fetch, RedisTokenStore.from_url(url))
    token = manager.get()
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    ExitStack,
)
from typing import Any, Generic, TypeVar, cast

from wechat_material._stepping import Stepper
from wechat_material.tokens.base import (
    AccessToken,
    AsyncFetcher,
    AsyncTokenStore,
    Fetcher,
    TokenStore,
)
from wechat_material.tokens.flow import (
    Discard,
    Fetch,
    Flow,
    Load,
    LockLocal,
    LockStore,
    Save,
    Step,
    StoreLockHeld,
    TokenPolicy,
)
from wechat_material.tokens.memory import MemoryTokenStore
from wechat_material.tokens.thread_held import HeldInThread

T = TypeVar("T")


class TokenManager:
    """Hands out a valid access token for one appid to any number of threads.

    ``fetch`` asks WeChat (or your token server) for a new token and raises a
    typed error on failure; ``store`` is shared by every process that uses the
    same appid (default: a :class:`MemoryTokenStore` of this manager's own;
    the clients use :func:`~.memory.shared_memory_store` instead).
    ``expires_at`` is ``clock() + expires_in``.
    """

    def __init__(
        self,
        appid: str,
        fetch: Fetcher,
        store: TokenStore | None = None,
        *,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy = TokenPolicy(appid, refresh_margin, clock)
        self._fetch = fetch
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        self._local = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenManager(appid={self.appid!r}, store={type(self._store).__name__})"

    @property
    def appid(self) -> str:
        return self._policy.appid

    @property
    def store(self) -> TokenStore:
        return self._store

    def get(self) -> str:
        """A token with more than ``refresh_margin`` seconds left, fetched if need be."""
        return cast(str, self._drive(self._policy.get()))

    def invalidate(self, failed: str) -> None:
        """Report that WeChat rejected ``failed`` (40001, 40014, 42001).

        The stored token is forgotten only if it is still ``failed``; the next
        :meth:`get` then fetches a new one (once, however many callers report).
        """
        self._drive(self._policy.invalidate(failed))

    def current(self) -> AccessToken | None:
        """The stored token as it is now (maybe expired), without fetching."""
        return cast("AccessToken | None", self._drive(self._policy.current()))

    def _drive(self, flow: Flow) -> Any:
        # The flow is closed first, then its locks are released, newest first.
        with ExitStack() as stack, Stepper(flow) as stepper:
            return stepper.run(functools.partial(self._perform, held=_Held(stack)))

    def _perform(self, step: Step, held: _Held[ExitStack[bool | None]]) -> Any:
        appid = self._policy.appid
        if isinstance(step, Load):
            return self._store.load(appid)
        if isinstance(step, Save):
            return self._store.save(appid, step.token)
        if isinstance(step, Discard):
            return self._store.discard(appid, step.value)
        if isinstance(step, LockLocal):
            if not self._local.acquire(blocking=step.wait):
                return False
            held.stack.callback(self._local.release)
            return True
        if isinstance(step, LockStore):
            store_lock = self._store.lock(appid)
            held.stack.enter_context(store_lock)
            held.store_lock = store_lock
            return None
        if isinstance(step, StoreLockHeld):
            return _still_held(held.store_lock)
        if isinstance(step, Fetch):
            return self._fetch()
        raise TypeError(f"unknown token step {step!r}")


class AsyncTokenManager:
    """The asyncio twin of :class:`TokenManager`, with the same rules.

    ``store`` may be async (:class:`AsyncRedisTokenStore`) or sync
    (:class:`MemoryTokenStore`, :class:`FileTokenStore`, :class:`RedisTokenStore`).
    A sync store's lock is waited for on a worker thread, never on the event
    loop.
    """

    def __init__(
        self,
        appid: str,
        fetch: AsyncFetcher,
        store: TokenStore | AsyncTokenStore | None = None,
        *,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy = TokenPolicy(appid, refresh_margin, clock)
        self._fetch = fetch
        self._store: TokenStore | AsyncTokenStore = (
            store if store is not None else MemoryTokenStore()
        )
        self._store_is_async = inspect.iscoroutinefunction(self._store.load)
        # asyncio locks belong to one event loop; keep one per loop that uses
        # this manager (a client may outlive an asyncio.run()).
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"AsyncTokenManager(appid={self.appid!r}, store={type(self._store).__name__})"

    @property
    def appid(self) -> str:
        return self._policy.appid

    @property
    def store(self) -> TokenStore | AsyncTokenStore:
        return self._store

    async def get(self) -> str:
        """A token with more than ``refresh_margin`` seconds left, fetched if need be."""
        return cast(str, await self._drive(self._policy.get()))

    async def invalidate(self, failed: str) -> None:
        """Report that WeChat rejected ``failed``; see :meth:`TokenManager.invalidate`."""
        await self._drive(self._policy.invalidate(failed))

    async def current(self) -> AccessToken | None:
        """The stored token as it is now (maybe expired), without fetching."""
        return cast("AccessToken | None", await self._drive(self._policy.current()))

    async def _drive(self, flow: Flow) -> Any:
        # The flow is closed first, then its locks are released, newest first.
        async with AsyncExitStack() as stack:
            with Stepper(flow) as stepper:
                return await stepper.run_async(functools.partial(self._perform, held=_Held(stack)))

    async def _perform(self, step: Step, held: _Held[AsyncExitStack[bool | None]]) -> Any:
        appid = self._policy.appid
        if isinstance(step, Load):
            return await self._call(self._store.load(appid))
        if isinstance(step, Save):
            return await self._call(self._store.save(appid, step.token))
        if isinstance(step, Discard):
            return await self._call(self._store.discard(appid, step.value))
        if isinstance(step, LockLocal):
            lock = self._local_lock()
            if not step.wait and lock.locked():
                return False
            await lock.acquire()
            held.stack.callback(lock.release)
            return True
        if isinstance(step, LockStore):
            store_lock = self._store.lock(appid)
            if self._store_is_async:
                await held.stack.enter_async_context(
                    cast(AbstractAsyncContextManager[object], store_lock)
                )
            else:
                await held.stack.enter_async_context(
                    HeldInThread(cast(AbstractContextManager[object], store_lock))
                )
            held.store_lock = store_lock
            return None
        if isinstance(step, StoreLockHeld):
            answer = _still_held(held.store_lock)
            return await answer if inspect.isawaitable(answer) else answer
        if isinstance(step, Fetch):
            return await self._fetch()
        raise TypeError(f"unknown token step {step!r}")

    async def _call(self, outcome: Awaitable[T] | T) -> T:
        # A sync store answers at once (memory, a small file, one Redis round
        # trip); an async store answers with an awaitable.
        if self._store_is_async:
            return await cast(Awaitable[T], outcome)
        return cast(T, outcome)

    def _local_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._locks_guard:
            lock = self._locks.get(loop)
            if lock is None:
                lock = self._locks[loop] = asyncio.Lock()
            return lock


S = TypeVar("S", "ExitStack[bool | None]", "AsyncExitStack[bool | None]")


class _Held(Generic[S]):
    """The locks one run of a flow holds: all on ``stack``, the store's also by name."""

    def __init__(self, stack: S) -> None:
        self.stack: S = stack
        self.store_lock: object = None


def _still_held(store_lock: object) -> bool | Awaitable[bool]:
    """Ask a store lock whether it is still ours; one that cannot expire always is.

    A lock that can expire while held (the Redis stores') has ``still_held()``,
    async for an async store.
    """
    check = getattr(store_lock, "still_held", None)
    if check is None:
        return True
    return cast("bool | Awaitable[bool]", check())
