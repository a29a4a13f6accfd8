"""Token managers: one token per appid, fetched by one caller at a time.

:class:`TokenManager` serves threads, :class:`AsyncTokenManager` asyncio
tasks. Both run the same flows from :class:`~.flow.TokenPolicy` with the
same drivers as the clients (:mod:`wechat_material._drivers`), so they decide
alike:

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

import threading
import time
from collections.abc import Callable
from typing import Any, cast

from wechat_material._drivers import AsyncDriver, LoopLocks, SyncDriver, TokenAccess
from wechat_material._flow import Flow, with_locks_released
from wechat_material.tokens.base import (
    AccessToken,
    AsyncFetcher,
    AsyncTokenStore,
    Fetcher,
    TokenStore,
)
from wechat_material.tokens.flow import TokenPolicy
from wechat_material.tokens.memory import MemoryTokenStore


class _Shared:
    """What a client needs of either manager to run its token policy in its own calls."""

    _policy: TokenPolicy
    _access: TokenAccess

    @property
    def policy(self) -> TokenPolicy:
        """The rules this manager follows; a client runs them inside its own calls."""
        return self._policy

    @property
    def access(self) -> TokenAccess:
        """This manager's store, lock and token source, for a driver that runs the policy."""
        return self._access


class TokenManager(_Shared):
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
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        # What a driver needs to perform this manager's steps (a client's too).
        self._access = TokenAccess(appid, self._store, fetch, threading.Lock())

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

    def _drive(self, flow: Flow[Any]) -> Any:
        return SyncDriver(tokens=self._access).drive(with_locks_released(flow))


class AsyncTokenManager(_Shared):
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
        self._store: TokenStore | AsyncTokenStore = (
            store if store is not None else MemoryTokenStore()
        )
        # asyncio locks belong to one event loop; keep one per loop that uses
        # this manager (a client may outlive an asyncio.run()).
        self._access = TokenAccess(appid, self._store, fetch, LoopLocks())

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

    async def _drive(self, flow: Flow[Any]) -> Any:
        return await AsyncDriver(tokens=self._access).drive(with_locks_released(flow))
