"""Driving both clients with one test: :class:`Both` awaits either client's methods.

The async client talks to an in-process sandbox app through
``httpx.ASGITransport``; the sync client to a sandbox served on a real socket
(``run_in_thread``), since ASGITransport is async-only. Blocking calls run on a
worker thread so that one async test body serves both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx

from wechat_material import AsyncWeChatClient, RetryPolicy, WeChatClient
from wechat_material._config import DEFAULT_TIMEOUT, DEFAULT_UPLOAD_TIMEOUT, Settings, client_config
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

MEDIA = Path(__file__).resolve().parent.parent / "media"
ASGI_BASE = "http://sandbox.test"

# No waiting between retries: the tests check how many attempts are made, not when.
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.0, jitter=False)


def flow_settings(retry: RetryPolicy, clock: Callable[[], float]) -> Settings:
    """A client's settings for running its flows by hand, without a client."""
    return client_config(
        appid="wx0123456789abcdef",
        secret="s" * 32,
        base_url="https://api.weixin.qq.com",
        timeout=DEFAULT_TIMEOUT,
        upload_timeout=DEFAULT_UPLOAD_TIMEOUT,
        token_mode="token",
        has_fetcher=False,
        retry=retry,
        clock=clock,
        refresh_margin=300.0,
    ).settings


async def run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Await an async method, or run a blocking one on a worker thread."""
    if inspect.iscoroutinefunction(function):
        return await function(*args, **kwargs)
    return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))


async def collect(items: Any) -> list[Any]:
    """Every item of a sync or async iterator."""
    if hasattr(items, "__aiter__"):
        return [item async for item in items]
    return await anyio.to_thread.run_sync(lambda: list(items))


@dataclass
class Both:
    """One client of either kind, its sandbox's admin, and a way to make more clients."""

    kind: str
    client: Any
    admin: Any
    base_url: str
    transport: httpx.AsyncBaseTransport | None
    _extra: list[Any] = field(default_factory=list)

    async def __call__(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await run(function, *args, **kwargs)

    async def collect(self, items: Any) -> list[Any]:
        return await collect(items)

    def new_client(self, **kwargs: Any) -> Any:
        """Another client of the same kind on the same sandbox (closed after the test)."""
        kwargs.setdefault("appid", DEMO_APPID)
        if "token_fetcher" not in kwargs:
            kwargs.setdefault("secret", DEMO_SECRET)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("base_url", self.base_url)
        if self.kind == "sync":
            client: Any = WeChatClient(**kwargs)
        else:
            kwargs.setdefault("http_client", httpx.AsyncClient(transport=self.transport))
            self._extra.append(kwargs["http_client"])
            client = AsyncWeChatClient(**kwargs)
        self._extra.append(client)
        return client

    async def counters(self, appid: str = DEMO_APPID) -> dict[str, int]:
        result: dict[str, int] = await run(self.admin.counters, appid)
        return result

    async def calls_to(self, path: str) -> int:
        return (await self.counters()).get(path, 0)

    async def api_calls(self) -> int:
        """Calls made to anything but the token endpoints."""
        counters = await self.counters()
        return sum(n for path, n in counters.items() if not path.endswith("token"))

    async def close(self) -> None:
        for thing in reversed(self._extra):
            if hasattr(thing, "aclose"):
                await thing.aclose()
            else:
                thing.close()
