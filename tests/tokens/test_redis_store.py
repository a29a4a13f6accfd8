"""RedisTokenStore and AsyncRedisTokenStore against a real redis-server."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import AsyncIterator

import anyio
import pytest
import redis
import redis.asyncio

from wechat_material.tokens import (
    AccessToken,
    AsyncRedisTokenStore,
    AsyncTokenManager,
    RedisTokenStore,
    TokenManager,
    TokenStoreError,
)

from .processes import run_in_processes
from .sources_for_tests import AsyncCountingFetcher, CountingFetcher
from .workers import APPID, redis_store_child

pytestmark = pytest.mark.redis


def token_for(seconds: float, value: str = "R" * 200) -> AccessToken:
    return AccessToken(value, time.time() + seconds)


@pytest.fixture
def store(redis_client: redis.Redis) -> RedisTokenStore:
    return RedisTokenStore(redis_client)


@pytest.fixture
async def async_store(redis_url: str) -> AsyncIterator[AsyncRedisTokenStore]:
    store = AsyncRedisTokenStore.from_url(redis_url)
    try:
        yield store
    finally:
        await store.aclose()


def test_round_trip_for_several_appids(store: RedisTokenStore) -> None:
    first, second = token_for(7200, "A" * 100), token_for(3600, "B" * 100)

    store.save("wxaaaa", first)
    store.save("wxbbbb", second)

    assert store.load("wxaaaa") == first
    assert store.load("wxbbbb") == second
    assert store.load("wxcccc") is None


def test_prefixes_keep_stores_apart(redis_client: redis.Redis) -> None:
    one = RedisTokenStore(redis_client, prefix="one")
    two = RedisTokenStore(redis_client, prefix="two")

    one.save(APPID, token_for(7200))

    assert two.load(APPID) is None
    assert redis_client.exists(f"one:access_token:{APPID}") == 1


def test_redis_drops_the_token_when_it_expires(
    store: RedisTokenStore, redis_client: redis.Redis
) -> None:
    stored = token_for(7200)
    store.save(APPID, stored)
    expire_ms = redis_client.pexpiretime(f"wechat_material:access_token:{APPID}")
    # Redis ends the key at the token's own expiry (rounded up to the millisecond).
    assert expire_ms == math.ceil(stored.expires_at * 1000)

    store.save(APPID, token_for(-1))
    assert store.load(APPID) is None

    store.save(APPID, token_for(0.3))
    deadline = time.monotonic() + 10
    while store.load(APPID) is not None:
        assert time.monotonic() < deadline, "Redis kept an expired token"
        time.sleep(0.05)


def test_compare_and_delete(store: RedisTokenStore) -> None:
    stored = token_for(7200)
    store.save(APPID, stored)

    assert store.discard(APPID, "some-older-token") is False
    assert store.load(APPID) == stored
    assert store.discard(APPID, stored.value) is True
    assert store.load(APPID) is None
    assert store.discard(APPID, stored.value) is False


def test_a_corrupt_value_is_ignored(
    store: RedisTokenStore, redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    redis_client.set(f"wechat_material:access_token:{APPID}", b"\xff{not json SECRETISH")
    caplog.set_level(logging.WARNING, logger="wechat_material.tokens")

    assert store.load(APPID) is None
    assert store.discard(APPID, "x") is False
    assert "corrupt" in caplog.text
    assert "SECRETISH" not in caplog.text

    fresh = token_for(7200)
    store.save(APPID, fresh)
    assert store.load(APPID) == fresh


def test_a_client_that_decodes_responses_works_too(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        store = RedisTokenStore(client)
        stored = token_for(7200)
        store.save(APPID, stored)
        assert store.load(APPID) == stored
        assert store.discard(APPID, stored.value) is True
    finally:
        client.close()


def test_the_lock_excludes_other_holders(store: RedisTokenStore) -> None:
    inside = 0
    most_inside = 0
    guard = threading.Lock()

    def hold() -> None:
        nonlocal inside, most_inside
        with store.lock(APPID):
            with guard:
                inside += 1
                most_inside = max(most_inside, inside)
            time.sleep(0.02)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=hold) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert most_inside == 1


def test_waiting_too_long_for_the_lock_is_a_clear_error(redis_client: redis.Redis) -> None:
    patient = RedisTokenStore(redis_client, lock_timeout=30)
    hasty = RedisTokenStore(redis_client, blocking_timeout=0.2)

    with patient.lock(APPID), pytest.raises(TokenStoreError, match="lock"):
        hasty.lock(APPID).__enter__()


def test_a_lock_that_expired_meanwhile_is_only_a_warning(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisTokenStore(redis_client, lock_timeout=0.1)
    caplog.set_level(logging.WARNING, logger="wechat_material.tokens")

    with store.lock(APPID):
        redis_client.delete(f"wechat_material:access_token:{APPID}:lock")

    assert "expired before its holder released it" in caplog.text


def test_an_unreachable_redis_is_a_clear_error(unused_port: int) -> None:
    store = RedisTokenStore.from_url(f"redis://127.0.0.1:{unused_port}/0")
    try:
        with pytest.raises(TokenStoreError, match="could not read the token"):
            store.load(APPID)
    finally:
        store.close()


def test_threads_share_one_fetch(store: RedisTokenStore) -> None:
    fetch = CountingFetcher(pause=0.05)
    managers = [TokenManager(APPID, fetch, store) for _ in range(10)]
    tokens: list[str] = []

    threads = [threading.Thread(target=lambda m=m: tokens.append(m.get())) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert fetch.calls == 1
    assert set(tokens) == {fetch.issued[0]}


@pytest.mark.slow
def test_eight_processes_share_one_fetch(redis_url: str) -> None:
    calls, tokens = run_in_processes(8, redis_store_child, redis_url)

    assert calls == 1
    assert len(set(tokens)) == 1


@pytest.mark.anyio
async def test_async_round_trip_and_compare_and_delete(
    async_store: AsyncRedisTokenStore,
) -> None:
    stored = token_for(7200)
    await async_store.save(APPID, stored)

    assert await async_store.load(APPID) == stored
    assert await async_store.discard(APPID, "older") is False
    assert await async_store.discard(APPID, stored.value) is True
    assert await async_store.load(APPID) is None


@pytest.mark.anyio
async def test_sync_and_async_stores_share_keys(
    async_store: AsyncRedisTokenStore, store: RedisTokenStore
) -> None:
    stored = token_for(7200)
    store.save(APPID, stored)

    assert await async_store.load(APPID) == stored
    assert await async_store.discard(APPID, stored.value) is True
    assert store.load(APPID) is None


@pytest.mark.anyio
async def test_async_lock_timeout_is_a_clear_error(
    redis_url: str, async_store: AsyncRedisTokenStore
) -> None:
    hasty = AsyncRedisTokenStore.from_url(redis_url, blocking_timeout=0.2)
    try:
        async with async_store.lock(APPID):
            with pytest.raises(TokenStoreError, match="lock"):
                async with hasty.lock(APPID):
                    pass
    finally:
        await hasty.aclose()


@pytest.mark.anyio
async def test_many_tasks_and_two_managers_share_one_fetch(
    async_store: AsyncRedisTokenStore,
) -> None:
    fetch = AsyncCountingFetcher(pause=0.05)
    managers = [AsyncTokenManager(APPID, fetch, async_store) for _ in range(2)]

    with anyio.fail_after(60):
        tokens = await asyncio.gather(*(m.get() for m in managers * 100))

    assert fetch.calls == 1
    assert set(tokens) == {fetch.issued[0]}


@pytest.mark.anyio
async def test_a_sync_redis_store_serves_the_async_manager(store: RedisTokenStore) -> None:
    fetch = AsyncCountingFetcher(pause=0.05)
    managers = [AsyncTokenManager(APPID, fetch, store) for _ in range(2)]

    with anyio.fail_after(60):
        tokens = await asyncio.gather(*(m.get() for m in managers * 50))

    assert fetch.calls == 1
    assert set(tokens) == {fetch.issued[0]}
    await managers[0].invalidate(fetch.issued[0])
    assert store.load(APPID) is None
