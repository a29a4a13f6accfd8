"""How many token fetches do 500 concurrent callers cause at token expiry? Goal: exactly 1.

Run: .venv/bin/python bench/bench_tokens.py [--callers 500] [--source sandbox|counting]

The moments where a naive client stampedes the token endpoint:

* cold start: no token yet;
* expiry: the token has run out while the callers were idle;
* rejection: WeChat says 42001/40001 to every caller at once.

``--source sandbox`` (default): 500 concurrent ``get_material_count()`` calls
through :class:`AsyncWeChatClient` to an in-process sandbox
(``httpx.ASGITransport``); fetches are the sandbox's ``/cgi-bin/token`` count.
``--source counting``: the token manager alone, with a counting token source
that takes ``--latency`` seconds per fetch.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from wechat_material.client import AsyncWeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, AsyncSandboxAdmin, create_app
from wechat_material.tokens import AsyncTokenManager, TokenGrant


class Clock:
    """The client's clock, moved by hand alongside the sandbox's."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def burst(
    label: str,
    callers: int,
    work: Callable[[], Awaitable[Any]],
    fetches: Callable[[], Awaitable[int]],
) -> int:
    before = await fetches()
    started = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(callers)))
    elapsed = time.perf_counter() - started
    fetched = await fetches() - before
    print(f"{label:<44} callers={callers:<5} token fetches={fetched:<3} {elapsed * 1000:8.1f} ms")
    return fetched


async def with_sandbox(callers: int) -> list[int]:
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as http:
        admin = AsyncSandboxAdmin(client=http)
        clock = Clock(await admin.now())
        client = AsyncWeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url="http://sandbox.test", http_client=http, clock=clock
        )

        async def fetches() -> int:
            return (await admin.counters(DEMO_APPID)).get("/cgi-bin/token", 0)

        call = client.material.get_material_count
        figures = [await burst("cold start", callers, call, fetches)]

        # Both clocks move: every caller finds the stored token expired.
        clock.now = await admin.advance(7200 + 60)
        figures.append(await burst("expired (client and sandbox agree)", callers, call, fetches))

        # Only the sandbox clock moves: every caller holds a token it believes
        # fresh and gets 42001 for it at once.
        await admin.advance(7200 + 60)
        figures.append(await burst("42001 for every caller at once", callers, call, fetches))
        return figures


async def with_counting_source(callers: int, latency: float) -> list[int]:
    calls = 0

    async def source() -> TokenGrant:
        nonlocal calls
        calls += 1
        await asyncio.sleep(latency)
        return TokenGrant(f"TOKEN-{calls:06d}", 7200)

    async def fetches() -> int:
        return calls

    clock = Clock(1_700_000_000.0)
    manager = AsyncTokenManager("wxbench0000000000", source, clock=clock)
    figures = [await burst("cold start", callers, manager.get, fetches)]

    clock.now += 7200 + 1
    figures.append(await burst("expired", callers, manager.get, fetches))

    clock.now += 7200 - 100
    figures.append(await burst("refresh ahead (100 s left)", callers, manager.get, fetches))

    stale = await manager.get()

    async def report_and_retry() -> str:
        await manager.invalidate(stale)
        return await manager.get()

    figures.append(await burst("all report 40001 at once", callers, report_and_retry, fetches))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--source", choices=["sandbox", "counting"], default="sandbox")
    parser.add_argument("--latency", type=float, default=0.05, help="counting source only")
    options = parser.parse_args()
    if options.source == "sandbox":
        figures = asyncio.run(with_sandbox(options.callers))
    else:
        figures = asyncio.run(with_counting_source(options.callers, options.latency))
    verdict = "exactly 1 each time" if set(figures) == {1} else f"NOT 1 each time: {figures}"
    print(f"token fetches per moment: {figures} ({verdict})")


if __name__ == "__main__":
    main()
