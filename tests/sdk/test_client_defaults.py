"""The defaults a user gets without passing anything, tested as such.

Tests elsewhere pass their settings explicitly; these construct the clients
bare, so a changed default cannot go unnoticed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from wechat_material import AsyncWeChatClient, WeChatClient
from wechat_material.limits import ACCESS_TOKEN_LIFETIME
from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AsyncSandboxAdmin,
    SandboxBackend,
    SandboxConfig,
    create_app,
    run_in_thread,
)
from wechat_material.tokens import (
    AsyncTokenManager,
    TokenGrant,
    TokenManager,
    forget_shared_memory_stores,
)

BASE = "http://defaults.test"
DEFAULT_REFRESH_MARGIN = 300  # seconds before expiry: the README's promise

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[SandboxBackend, httpx.AsyncClient]]:
    forget_shared_memory_stores()
    app = create_app(SandboxConfig(seed=8, start_time=1_700_000_000.0))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
            yield app.state.sandbox, http
    finally:
        app.state.sandbox.close()
        forget_shared_memory_stores()


async def _token_fetches(http: httpx.AsyncClient) -> int:
    counters = await AsyncSandboxAdmin(client=http).counters()
    return sum(n for path, n in counters.items() if path.endswith("/cgi-bin/token"))


async def test_the_token_is_refreshed_300_s_before_it_expires_by_default(sandbox):
    backend, http = sandbox
    async with AsyncWeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url=BASE, http_client=http, clock=backend.clock.now
    ) as client:
        await client.material.get_material_count()
        assert await _token_fetches(http) == 1

        # Just outside the margin: the token is used as it is.
        backend.clock.advance(ACCESS_TOKEN_LIFETIME - DEFAULT_REFRESH_MARGIN - 1)
        await client.material.get_material_count()
        assert await _token_fetches(http) == 1

        # Just inside it: fetched anew ahead of expiry.
        backend.clock.advance(2)
        await client.material.get_material_count()
        assert await _token_fetches(http) == 2


def test_the_blocking_client_refreshes_300_s_before_expiry_by_default():
    forget_shared_memory_stores()
    with run_in_thread(SandboxConfig(seed=9, start_time=1_700_000_000.0)) as running:
        clock = running.backend.clock
        fetches = lambda: sum(  # noqa: E731
            n for path, n in running.admin.counters().items() if path.endswith("/cgi-bin/token")
        )
        with WeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url=running.base_url, clock=clock.now
        ) as client:
            client.material.get_material_count()
            clock.advance(ACCESS_TOKEN_LIFETIME - DEFAULT_REFRESH_MARGIN - 1)
            client.material.get_material_count()
            assert fetches() == 1
            clock.advance(2)
            client.material.get_material_count()
            assert fetches() == 2
    forget_shared_memory_stores()


def _counting_fetcher(grants: list[str]):
    def fetch() -> TokenGrant:
        grants.append(f"T{len(grants)}")
        return TokenGrant(grants[-1], ACCESS_TOKEN_LIFETIME)

    return fetch


def test_a_token_manager_refreshes_300_s_before_expiry_by_default():
    now = [1_700_000_000.0]
    grants: list[str] = []
    manager = TokenManager(DEMO_APPID, _counting_fetcher(grants), clock=lambda: now[0])
    assert manager.get() == "T0"
    now[0] += ACCESS_TOKEN_LIFETIME - DEFAULT_REFRESH_MARGIN - 1
    assert manager.get() == "T0"
    now[0] += 2
    assert manager.get() == "T1"


async def test_an_async_token_manager_refreshes_300_s_before_expiry_by_default():
    now = [1_700_000_000.0]
    grants: list[str] = []
    fetch = _counting_fetcher(grants)

    async def fetch_async() -> TokenGrant:
        return fetch()

    manager = AsyncTokenManager(DEMO_APPID, fetch_async, clock=lambda: now[0])
    assert await manager.get() == "T0"
    now[0] += ACCESS_TOKEN_LIFETIME - DEFAULT_REFRESH_MARGIN - 1
    assert await manager.get() == "T0"
    now[0] += 2
    assert await manager.get() == "T1"
