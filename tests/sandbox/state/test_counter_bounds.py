"""The call counters stay small whatever appids and paths callers make up."""

from __future__ import annotations

import random

import httpx
import pytest

from wechat_material import _endpoints as ep
from wechat_material.sandbox import DEMO_APPID, AsyncSandboxAdmin, SandboxBackend
from wechat_material.sandbox.state.quotas import (
    MAX_COUNTED_APPIDS,
    OTHER_PATH,
    UNKNOWN_APPID,
    CallCounters,
)

pytestmark = pytest.mark.anyio
PATHS = [e.path for e in ep.ALL if e.path]


@pytest.mark.slow  # over a second of requests
async def test_made_up_appids_and_paths_leave_the_counter_table_small(
    client: httpx.AsyncClient, backend: SandboxBackend, admin: AsyncSandboxAdmin
) -> None:
    draw = random.Random(1)
    for n in range(5000):
        appid = f"wx{draw.getrandbits(64):016x}"
        path = draw.choice(PATHS) if n % 2 else f"/cgi-bin/made/up/{draw.getrandbits(64):x}"
        await client.post(path, params={"appid": appid}, json={"appid": appid})
    # One unknown appid, one counter per endpoint and one for every other path.
    assert backend.counters.size() <= len(PATHS) + 1
    calls = await admin.counters(UNKNOWN_APPID)
    assert calls[OTHER_PATH] == 2500
    assert sum(calls.values()) == 5000
    assert await admin.counters(DEMO_APPID) == {}


async def test_a_configured_account_keeps_its_own_counters(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    await client.get("/cgi-bin/token", params={"appid": DEMO_APPID})
    await client.get("/cgi-bin/nothing/here", params={"appid": DEMO_APPID})
    assert await admin.counters(DEMO_APPID) == {"/cgi-bin/token": 1, OTHER_PATH: 1}


def test_accounts_past_the_maximum_count_as_unknown() -> None:
    counters = CallCounters()
    for n in range(MAX_COUNTED_APPIDS + 50):
        counters.count(f"wx{n}", "/cgi-bin/token")
    assert counters.snapshot(UNKNOWN_APPID) == {"/cgi-bin/token": 50}
    assert counters.snapshot("wx0") == {"/cgi-bin/token": 1}
    assert counters.size() == MAX_COUNTED_APPIDS + 1


async def test_made_up_appids_are_not_remembered(
    client: httpx.AsyncClient, backend: SandboxBackend
) -> None:
    for n in range(300):
        await client.get(
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": f"wx{n}", "secret": "s"},
        )
        await client.get(f"/cgi-bin/quota/{n}")
    assert len(backend.accounts._cache) <= 1
