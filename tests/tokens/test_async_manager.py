"""AsyncTokenManager with asyncio tasks: the same rules as the threaded manager."""

from __future__ import annotations

import asyncio
import threading

import anyio
import pytest

from wechat_material.errors import AuthenticationError, SystemBusyError
from wechat_material.tokens import AsyncTokenManager, MemoryTokenStore

from .sources_for_tests import AsyncCountingFetcher, AsyncGatedFetcher, FakeClock

APPID = "wx0123456789abcdef"

pytestmark = pytest.mark.anyio


async def test_five_hundred_tasks_share_one_fetch() -> None:
    fetch = AsyncCountingFetcher(pause=0.05)
    manager = AsyncTokenManager(APPID, fetch)

    with anyio.fail_after(30):
        tokens = await asyncio.gather(*(manager.get() for _ in range(500)))

    assert fetch.calls == 1
    assert set(tokens) == {fetch.issued[0]}


async def test_two_managers_on_one_loop_share_a_sync_store() -> None:
    # Both managers wait for the store's threading lock; waiting for it on the
    # event loop would freeze the loop while the other manager fetches.
    fetch = AsyncCountingFetcher(pause=0.05)
    store = MemoryTokenStore()
    first = AsyncTokenManager(APPID, fetch, store)
    second = AsyncTokenManager(APPID, fetch, store)

    with anyio.fail_after(30):
        tokens = await asyncio.gather(
            *(manager.get() for manager in [first, second] * 100),
        )

    assert fetch.calls == 1
    assert set(tokens) == {fetch.issued[0]}


async def test_refresh_ahead_and_the_old_token_meanwhile() -> None:
    clock = FakeClock()
    fetch = AsyncGatedFetcher(expires_in=7200)
    fetch.gate.set()
    manager = AsyncTokenManager(APPID, fetch, refresh_margin=300, clock=clock)
    old = await manager.get()
    clock.advance(7200 - 200)
    fetch.gate.clear()
    fetch.entered.clear()

    refresh = asyncio.create_task(manager.get())
    with anyio.fail_after(30):
        await fetch.entered.wait()
    # A refresh is under way; the old token still has 200 s: no waiting.
    assert await manager.get() == old
    assert not refresh.done()

    fetch.gate.set()
    new = await refresh
    assert new != old
    assert await manager.get() == new
    assert fetch.calls == 2


async def test_compare_and_delete_with_many_tasks() -> None:
    fetch = AsyncCountingFetcher(pause=0.02)
    manager = AsyncTokenManager(APPID, fetch)
    stale = await manager.get()

    async def report_and_retry() -> str:
        await manager.invalidate(stale)
        return await manager.get()

    with anyio.fail_after(30):
        tokens = await asyncio.gather(*(report_and_retry() for _ in range(100)))

    assert fetch.calls == 2
    assert set(tokens) == {fetch.issued[1]}
    current = await manager.current()
    assert current is not None
    assert current.value == fetch.issued[1]


async def test_a_failing_fetch_is_shared_and_not_retried() -> None:
    fetch = AsyncCountingFetcher(pause=0.05, error=AuthenticationError(40125, "invalid appsecret"))
    manager = AsyncTokenManager(APPID, fetch)

    outcomes = await asyncio.gather(*(manager.get() for _ in range(50)), return_exceptions=True)

    assert fetch.calls == 1
    assert all(isinstance(outcome, AuthenticationError) for outcome in outcomes)
    with pytest.raises(AuthenticationError):
        await manager.get()
    assert fetch.calls == 2


async def test_recovers_after_a_failure() -> None:
    fetch = AsyncCountingFetcher(error=SystemBusyError(-1, "system error"))
    manager = AsyncTokenManager(APPID, fetch)
    with pytest.raises(SystemBusyError):
        await manager.get()
    fetch.error = None

    assert await manager.get() == fetch.issued[0]


async def test_a_task_cancelled_while_waiting_for_the_store_lock_leaves_it_free() -> None:
    store = MemoryTokenStore()
    fetch = AsyncCountingFetcher()
    manager = AsyncTokenManager(APPID, fetch, store)
    holder_has_it = threading.Event()
    let_go = threading.Event()

    def hold_the_lock() -> None:
        with store.lock(APPID):
            holder_has_it.set()
            let_go.wait(timeout=30)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert holder_has_it.wait(timeout=30)

    waiting = asyncio.create_task(manager.get())
    await asyncio.sleep(0.1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    let_go.set()
    holder.join(timeout=30)

    with anyio.fail_after(30):
        assert await manager.get() == fetch.issued[0]
    assert fetch.calls == 1


def test_one_manager_serves_several_event_loops() -> None:
    fetch = AsyncCountingFetcher(pause=0.01)
    manager = AsyncTokenManager(APPID, fetch)

    async def burst() -> set[str]:
        return set(await asyncio.gather(*(manager.get() for _ in range(20))))

    first = asyncio.run(burst())
    second = asyncio.run(burst())

    assert first == second == {fetch.issued[0]}
    assert fetch.calls == 1
