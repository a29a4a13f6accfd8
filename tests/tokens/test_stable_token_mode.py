"""The manager with /cgi-bin/stable_token, whose replies differ from /cgi-bin/token's.

``/stable_token`` hands back the *same* token with its remaining lifetime while
more than 5 minutes are left. A manager that assumed every fetch brings a
7200-second token would refetch on every call once that remaining lifetime is
inside its refresh margin.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from wechat_material.client import AsyncWeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, AsyncSandboxAdmin, create_app

pytestmark = pytest.mark.anyio

STABLE = "/cgi-bin/stable_token"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    http: httpx.AsyncClient
    admin: AsyncSandboxAdmin
    clock: Clock

    def client(self, refresh_margin: float = 300.0) -> AsyncWeChatClient:
        return AsyncWeChatClient(
            DEMO_APPID,
            DEMO_SECRET,
            base_url="http://sandbox.test",
            http_client=self.http,
            token_mode="stable",
            clock=self.clock,
            refresh_margin=refresh_margin,
        )

    async def stable_calls(self) -> int:
        return (await self.admin.counters(DEMO_APPID)).get(STABLE, 0)

    async def advance(self, seconds: float) -> None:
        self.clock.now = await self.admin.advance(seconds)


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as http:
        admin = AsyncSandboxAdmin(client=http)
        yield Setup(http, admin, Clock(await admin.now()))


async def many_calls(client: AsyncWeChatClient, count: int = 100) -> None:
    await asyncio.gather(*(client.material.get_material_count() for _ in range(count)))


async def test_one_stable_token_call_per_rotation(setup: Setup) -> None:
    client = setup.client()

    await many_calls(client)
    assert await setup.stable_calls() == 1

    await setup.advance(7200 - 200)  # inside the margin: refreshed ahead, once
    await many_calls(client)
    assert await setup.stable_calls() == 2

    await setup.advance(7200 + 60)  # past the end on both clocks
    await many_calls(client)
    assert await setup.stable_calls() == 3


async def test_a_margin_wider_than_five_minutes_does_not_refetch_on_every_call(
    setup: Setup,
) -> None:
    # With a 10-minute margin the refresh starts while /stable_token still
    # hands back the same token (more than 5 minutes left), with expires_in
    # inside the margin. That token is then used as it is, not refetched.
    client = setup.client(refresh_margin=600)
    await many_calls(client)
    first = await client.get_access_token()

    await setup.advance(7200 - 500)
    await many_calls(client)
    assert await client.get_access_token() == first
    assert await setup.stable_calls() == 2

    await setup.advance(60)
    await many_calls(client)
    assert await setup.stable_calls() == 2

    # Past its end, the next call gets the new token (WeChat issues it in the
    # last 5 minutes).
    await setup.advance(500)
    await many_calls(client)
    assert await client.get_access_token() != first
    assert await setup.stable_calls() == 3
