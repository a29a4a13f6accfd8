"""A fetch cancelled half-way (a timeout, a closed web request) never leaves a lock held.

anyio and Starlette cancel scopes deliver their cancellation again at every
``await`` inside the scope, including the ones that release the locks: each
release must still run to its end. After every cancelled fetch the store's lock
is checked without waiting for it (a lock left held would otherwise hang the
test), then a normal ``get()`` must succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio
import pytest
import redis.asyncio

from wechat_material.tokens import (
    AsyncRedisTokenStore,
    AsyncTokenManager,
    AsyncTokenStore,
    FileTokenStore,
    MemoryTokenStore,
    RedisTokenStore,
    TokenGrant,
    TokenStore,
)

pytestmark = pytest.mark.anyio

APPID = "wxcancelled0000001"
ROUNDS = 60


class FetchThatNeverEnds:
    """A token source that hangs until cancelled; it cancels its caller once it has started.

    ``cancel`` is set by the test for each round; cancelling from inside the
    fetch makes the cancellation arrive while every lock is held.
    """

    def __init__(self) -> None:
        self.cancel: Callable[[], object] = lambda: None
        self.started = 0

    async def __call__(self) -> TokenGrant:
        self.started += 1
        self.cancel()
        await asyncio.Event().wait()
        raise AssertionError("unreachable: the fetch is always cancelled")


async def answer_at_once() -> TokenGrant:
    return TokenGrant("FRESH-" + "t" * 40, 7200)


def memory_lock_is_free(store: MemoryTokenStore) -> bool:
    return not store.lock(APPID).locked()


def flock_is_free(store: FileTokenStore) -> bool:
    path = store.lock(APPID).path
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


async def cancelled_by_a_scope(manager: AsyncTokenManager, fetch: FetchThatNeverEnds) -> None:
    with anyio.CancelScope() as scope:
        fetch.cancel = scope.cancel
        await manager.get()
    assert scope.cancelled_caught


async def cancelled_like_a_task(manager: AsyncTokenManager, fetch: FetchThatNeverEnds) -> None:
    task = asyncio.create_task(manager.get())
    fetch.cancel = task.cancel
    with pytest.raises(asyncio.CancelledError):
        await task


Cancel = Callable[[AsyncTokenManager, FetchThatNeverEnds], Awaitable[None]]
CANCELLATIONS: dict[str, Cancel] = {
    "cancel scope": cancelled_by_a_scope,
    "task.cancel()": cancelled_like_a_task,
}


async def check_rounds(
    store: TokenStore | AsyncTokenStore,
    cancel: Cancel,
    lock_is_free: Callable[[], Awaitable[bool]],
) -> None:
    fetch = FetchThatNeverEnds()
    for round_ in range(ROUNDS):
        manager = AsyncTokenManager(APPID, fetch, store)
        await cancel(manager, fetch)
        assert await lock_is_free(), f"the store lock stayed held after round {round_ + 1}"
    assert fetch.started == ROUNDS

    with anyio.fail_after(30):
        token = await AsyncTokenManager(APPID, answer_at_once, store).get()
    assert token.startswith("FRESH-")


async def always(check: Callable[[], bool]) -> bool:
    return check()


@pytest.mark.parametrize("cancel", CANCELLATIONS.values(), ids=CANCELLATIONS.keys())
async def test_a_memory_store_lock_is_released(cancel: Cancel) -> None:
    store = MemoryTokenStore()
    await check_rounds(store, cancel, lambda: always(lambda: memory_lock_is_free(store)))


@pytest.mark.parametrize("cancel", CANCELLATIONS.values(), ids=CANCELLATIONS.keys())
async def test_a_file_store_flock_is_released(cancel: Cancel, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    await check_rounds(store, cancel, lambda: always(lambda: flock_is_free(store)))


@pytest.fixture
async def redis_async(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.mark.redis
@pytest.mark.parametrize("cancel", CANCELLATIONS.values(), ids=CANCELLATIONS.keys())
async def test_an_async_redis_lock_is_released(
    cancel: Cancel, redis_async: redis.asyncio.Redis
) -> None:
    store = AsyncRedisTokenStore(redis_async, lock_timeout=600)
    key = store.keys.lock(APPID)

    async def free() -> bool:
        return not await redis_async.exists(key)

    await check_rounds(store, cancel, free)


@pytest.mark.redis
async def test_a_sync_redis_lock_used_from_async_code_is_released(redis_url: str) -> None:
    sync_store = RedisTokenStore.from_url(redis_url, lock_timeout=600)
    with contextlib.closing(sync_store.redis):
        key = sync_store.keys.lock(APPID)
        await check_rounds(
            sync_store,
            cancelled_by_a_scope,
            lambda: always(lambda: not sync_store.redis.exists(key)),
        )
