"""Fixtures for the sandbox tests: an in-process sandbox spoken to over raw HTTP.

Tests talk WeChat's wire format with httpx, never through the SDK: they check
the sandbox against the contract, not against our own client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from wechat_material.sandbox import AsyncSandboxAdmin, SandboxBackend, SandboxConfig, create_app

from .wechat_wire import BASE, START, WeChat


@pytest.fixture
def config() -> SandboxConfig:
    """Override in a test module to start the sandbox differently."""
    return SandboxConfig(seed=5, start_time=START, news_api="legacy")


@pytest.fixture
def app(config: SandboxConfig) -> Iterator[Starlette]:
    application = create_app(config)
    yield application
    application.state.sandbox.close()  # frees the data directory of a config that has one


@pytest.fixture
def backend(app: Starlette) -> SandboxBackend:
    sandbox: SandboxBackend = app.state.sandbox
    return sandbox


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


@pytest.fixture
def admin(client: httpx.AsyncClient) -> AsyncSandboxAdmin:
    return AsyncSandboxAdmin(client=client)


@pytest.fixture
async def wx(client: httpx.AsyncClient) -> WeChat:
    wechat = WeChat(client)
    await wechat.fetch_token()
    return wechat
