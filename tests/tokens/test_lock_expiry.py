"""A fetch that outlives the Redis lock: the token issued later wins.

Two managers on two stores stand for two processes sharing one Redis. The
first one's fetch waits at a gate while its lock expires; the second takes the
free lock, fetches and saves; then the first one's fetch ends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
import redis
import redis.asyncio

from wechat_material.tokens import (
    AsyncRedisTokenStore,
    AsyncTokenManager,
    RedisTokenStore,
    TokenGrant,
    TokenManager,
)

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

APPID = "wxlockexpiry000001"
SHORT = 0.2  # seconds the first manager's lock lives


class SlowSource:
    """Hands out ``grant`` once the test opens the gate; says when it has started."""

    def __init__(self, grant: TokenGrant) -> None:
        self.grant = grant
        self.started = threading.Event()
        self.gate = threading.Event()

    def __call__(self) -> TokenGrant:
        self.started.set()
        if not self.gate.wait(timeout=30):
            raise RuntimeError("the test never opened the gate")
        return self.grant

    async def fetch_async(self) -> TokenGrant:
        self.started.set()
        await anyio.to_thread.run_sync(self.gate.wait, 30)
        return self.grant


def quick(grant: TokenGrant) -> TokenGrant:
    return grant


def wait_until_gone(client: redis.Redis, key: str) -> None:
    for _ in range(600):
        if not client.exists(key):
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"the lock {key} never expired")


@pytest.fixture
def redis_sync(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
async def redis_async(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


def race(redis_sync: redis.Redis, slow_grant: TokenGrant, other_grant: TokenGrant) -> str:
    """The sync race; what the slow manager's get() returned."""
    slow = SlowSource(slow_grant)
    first = TokenManager(APPID, slow, RedisTokenStore(redis_sync, lock_timeout=SHORT))
    second = TokenManager(APPID, lambda: quick(other_grant), RedisTokenStore(redis_sync))
    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(first.get()))
    worker.start()
    assert slow.started.wait(timeout=30)
    wait_until_gone(redis_sync, RedisTokenStore(redis_sync).keys.lock(APPID))

    assert second.get() == other_grant.access_token
    slow.gate.set()
    worker.join(timeout=30)
    assert results, "the slow manager's get() did not return"
    return results[0]


def stored(redis_sync: redis.Redis) -> str | None:
    token = RedisTokenStore(redis_sync).load(APPID)
    return None if token is None else token.value


def test_a_newer_token_saved_meanwhile_is_not_overwritten(redis_sync: redis.Redis) -> None:
    # The slow source answers a token issued 200 s before the other one.
    got = race(
        redis_sync, TokenGrant("OLDER-" + "o" * 30, 7000), TokenGrant("NEWER-" + "n" * 30, 7200)
    )

    assert got.startswith("NEWER-")
    assert (stored(redis_sync) or "").startswith("NEWER-")


def test_an_older_token_saved_meanwhile_is_replaced(redis_sync: redis.Redis) -> None:
    got = race(
        redis_sync, TokenGrant("NEWER-" + "n" * 30, 7200), TokenGrant("OLDER-" + "o" * 30, 7000)
    )

    assert got.startswith("NEWER-")
    assert (stored(redis_sync) or "").startswith("NEWER-")


async def test_the_async_store_keeps_the_newer_token_too(
    redis_async: redis.asyncio.Redis, redis_sync: redis.Redis
) -> None:
    slow = SlowSource(TokenGrant("OLDER-" + "o" * 30, 7000))
    first = AsyncTokenManager(
        APPID, slow.fetch_async, AsyncRedisTokenStore(redis_async, lock_timeout=SHORT)
    )

    async def newer() -> TokenGrant:
        return TokenGrant("NEWER-" + "n" * 30, 7200)

    second = AsyncTokenManager(APPID, newer, AsyncRedisTokenStore(redis_async))
    task = asyncio.create_task(first.get())
    await anyio.to_thread.run_sync(slow.started.wait, 30)
    await anyio.to_thread.run_sync(
        wait_until_gone, redis_sync, RedisTokenStore(redis_sync).keys.lock(APPID)
    )

    assert (await second.get()).startswith("NEWER-")
    slow.gate.set()
    with anyio.fail_after(30):
        assert (await task).startswith("NEWER-")
    assert (stored(redis_sync) or "").startswith("NEWER-")


async def test_a_sync_store_under_the_async_manager_keeps_the_newer_token(
    redis_sync: redis.Redis,
) -> None:
    slow = SlowSource(TokenGrant("OLDER-" + "o" * 30, 7000))
    first = AsyncTokenManager(
        APPID, slow.fetch_async, RedisTokenStore(redis_sync, lock_timeout=SHORT)
    )
    task = asyncio.create_task(first.get())
    await anyio.to_thread.run_sync(slow.started.wait, 30)
    await anyio.to_thread.run_sync(
        wait_until_gone, redis_sync, RedisTokenStore(redis_sync).keys.lock(APPID)
    )
    second = TokenManager(
        APPID, lambda: TokenGrant("NEWER-" + "n" * 30, 7200), RedisTokenStore(redis_sync)
    )
    assert (await anyio.to_thread.run_sync(second.get)).startswith("NEWER-")

    slow.gate.set()
    with anyio.fail_after(30):
        assert (await task).startswith("NEWER-")
    assert (stored(redis_sync) or "").startswith("NEWER-")


def test_the_default_lock_outlives_the_slowest_fetch(redis_sync: redis.Redis) -> None:
    # Three attempts with 15 s timeouts for connecting and reading, plus backoff.
    assert RedisTokenStore(redis_sync).lock_timeout >= 3 * (15 + 15) + 8


async def test_a_fetch_that_ends_within_the_lock_saves_without_a_warning(
    redis_async: redis.asyncio.Redis, redis_sync: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # The Redis lock is asked whether it is still held; it is: a plain save.
    caplog.set_level(logging.WARNING, logger="wechat_material")
    kept = TokenManager(
        APPID, lambda: TokenGrant("SYNC-" + "s" * 30, 7200), RedisTokenStore(redis_sync)
    )
    assert kept.get().startswith("SYNC-")

    async def fetch() -> TokenGrant:
        return TokenGrant("ASYNC-" + "a" * 30, 7200)

    other = "wxlockexpiry000002"
    assert (
        await AsyncTokenManager(other, fetch, AsyncRedisTokenStore(redis_async)).get()
    ).startswith("ASYNC-")
    assert caplog.messages == []
    assert (stored(redis_sync) or "").startswith("SYNC-")
