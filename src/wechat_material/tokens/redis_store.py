"""Tokens in Redis: one token per slot (a client's scope), shared by every process on every host.

The token expires in Redis when it expires for WeChat; compare-and-delete runs
as one Lua script on the server; the fetch lock is redis-py's ``Lock``, which
expires by itself after ``lock_timeout`` seconds if its holder dies.
:class:`RedisTokenStore` takes a ``redis.Redis``, :class:`AsyncRedisTokenStore`
a ``redis.asyncio.Redis``; both keep the same keys (see :mod:`.redis_layout`),
so sync and async programs can share tokens.

Every caller of ``get()`` reads the token from Redis. With hundreds of
concurrent callers, give the client a ``BlockingConnectionPool`` (as
``from_url`` does): redis-py's default pool fails with "Too many connections"
once its 100 connections are in use, where a blocking pool makes callers wait.
"""

from __future__ import annotations

from typing import Any

from wechat_material.extras import require_extra

require_extra("redis")

import redis
import redis.asyncio

from wechat_material.tokens.base import AccessToken
from wechat_material.tokens.redis_layout import (
    BLOCKING_TIMEOUT,
    DISCARD_SCRIPT,
    LOCK_TIMEOUT,
    MAX_CONNECTIONS,
    POOL_TIMEOUT,
    RedisStoreSettings,
    decode,
    encode,
    expires_at_ms,
    redis_failures,
)
from wechat_material.tokens.redis_lock import AsyncRedisFetchLock, RedisFetchLock


class RedisTokenStore(RedisStoreSettings):
    """A :class:`~wechat_material.tokens.base.TokenStore` in Redis.

    ``lock_timeout``: how long the fetch lock lives if its holder never
    releases it (a crashed process); the default, 120 s, outlasts the slowest
    fetch the client makes (three attempts of up to 15 s each way, plus
    backoff). Should a fetch outlive it all the same, the token saved by
    another process meanwhile is kept if it is the newer one.
    ``blocking_timeout``: how long to wait for the lock before giving up with
    :class:`TokenStoreError` (None: wait as long as it takes). Example::

        store = RedisTokenStore.from_url("redis://redis.internal:6379/0")
        manager = TokenManager(appid, fetch, store)
    """

    def __init__(
        self,
        redis: redis.Redis,
        *,
        prefix: str = "wechat_material",
        lock_timeout: float = LOCK_TIMEOUT,
        blocking_timeout: float | None = BLOCKING_TIMEOUT,
    ) -> None:
        super().__init__(prefix, lock_timeout, blocking_timeout)
        self.redis = redis
        self._discard = redis.register_script(DISCARD_SCRIPT)

    @classmethod
    def from_url(
        cls, url: str, *, max_connections: int = MAX_CONNECTIONS, **options: Any
    ) -> RedisTokenStore:
        """A store on a new client for ``url`` (``redis://[:password@]host:port/db``).

        The client's pool holds up to ``max_connections`` connections and makes
        further callers wait for one rather than fail. ``options`` go to the
        store (``prefix``, ``lock_timeout``, ``blocking_timeout``);
        :meth:`close` closes the client.
        """
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=POOL_TIMEOUT
        )
        store = cls(redis.Redis.from_pool(pool), **options)
        store._owns_client = True
        return store

    def close(self) -> None:
        """Close the client if this store made it (:meth:`from_url`)."""
        if self._owns_client:
            self.redis.close()

    def load(self, appid: str) -> AccessToken | None:
        key = self.keys.token(appid)
        with redis_failures("read the token"):
            raw = self.redis.get(key)
        return decode(raw, key)

    def save(self, appid: str, token: AccessToken) -> None:
        with redis_failures("save the token"):
            self.redis.set(self.keys.token(appid), encode(token), pxat=expires_at_ms(token))

    def discard(self, appid: str, value: str) -> bool:
        """Delete the stored token only if it is still ``value``; True if deleted."""
        with redis_failures("discard the token"):
            return bool(self._discard(keys=[self.keys.token(appid)], args=[value]))

    def lock(self, appid: str) -> RedisFetchLock:
        """The lock held, across hosts, while one process fetches this appid's token."""
        key = self.keys.lock(appid)
        lock = self.redis.lock(
            key,
            timeout=self.lock_timeout,
            blocking_timeout=self.blocking_timeout,
            thread_local=False,
        )
        return RedisFetchLock(lock, key, self.lock_timeout, self.blocking_timeout)


class AsyncRedisTokenStore(RedisStoreSettings):
    """An :class:`~wechat_material.tokens.base.AsyncTokenStore` in Redis.

    The same keys and rules as :class:`RedisTokenStore`, over
    ``redis.asyncio``. Example::

        store = AsyncRedisTokenStore.from_url("redis://redis.internal:6379/0")
        manager = AsyncTokenManager(appid, fetch, store)
    """

    def __init__(
        self,
        redis: redis.asyncio.Redis,
        *,
        prefix: str = "wechat_material",
        lock_timeout: float = LOCK_TIMEOUT,
        blocking_timeout: float | None = BLOCKING_TIMEOUT,
    ) -> None:
        super().__init__(prefix, lock_timeout, blocking_timeout)
        self.redis = redis
        self._discard = redis.register_script(DISCARD_SCRIPT)

    @classmethod
    def from_url(
        cls, url: str, *, max_connections: int = MAX_CONNECTIONS, **options: Any
    ) -> AsyncRedisTokenStore:
        """A store on a new client for ``url``, as :meth:`RedisTokenStore.from_url`;
        :meth:`aclose` closes the client."""
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=POOL_TIMEOUT
        )
        store = cls(redis.asyncio.Redis.from_pool(pool), **options)
        store._owns_client = True
        return store

    async def aclose(self) -> None:
        """Close the client if this store made it (:meth:`from_url`)."""
        if self._owns_client:
            await self.redis.aclose()

    async def load(self, appid: str) -> AccessToken | None:
        key = self.keys.token(appid)
        with redis_failures("read the token"):
            raw = await self.redis.get(key)
        return decode(raw, key)

    async def save(self, appid: str, token: AccessToken) -> None:
        with redis_failures("save the token"):
            await self.redis.set(self.keys.token(appid), encode(token), pxat=expires_at_ms(token))

    async def discard(self, appid: str, value: str) -> bool:
        """Delete the stored token only if it is still ``value``; True if deleted."""
        with redis_failures("discard the token"):
            return bool(await self._discard(keys=[self.keys.token(appid)], args=[value]))

    def lock(self, appid: str) -> AsyncRedisFetchLock:
        """The lock held, across hosts, while one process fetches this appid's token."""
        key = self.keys.lock(appid)
        lock = self.redis.lock(
            key,
            timeout=self.lock_timeout,
            blocking_timeout=self.blocking_timeout,
            thread_local=False,
        )
        return AsyncRedisFetchLock(lock, key, self.lock_timeout, self.blocking_timeout)
