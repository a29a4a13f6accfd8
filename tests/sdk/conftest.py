"""Fixtures for the SDK tests: a sandbox for each client kind, and ``wx`` to drive both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material.sandbox import AsyncSandboxAdmin, SandboxConfig, create_app, run_in_thread
from wechat_material.tokens import forget_shared_memory_stores

from .harness import ASGI_BASE, MEDIA, Both, run


@pytest.fixture(autouse=True)
def no_tokens_of_earlier_tests() -> None:
    """Each test resets its sandbox: tokens kept from earlier tests mean nothing to it."""
    forget_shared_memory_stores()


@pytest.fixture(scope="session")
def threaded_sandbox() -> Iterator[Any]:
    with run_in_thread(SandboxConfig(seed=11, news_api="legacy")) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox_app() -> Any:
    return create_app(SandboxConfig(seed=12, news_api="legacy"))


@pytest.fixture(params=["sync", "async"])
async def wx(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Both]:
    """A client of each kind (the test runs twice), on a sandbox reset for this test."""
    if request.param == "sync":
        running = request.getfixturevalue("threaded_sandbox")
        admin = running.admin
        await run(admin.reset)
        both = Both("sync", None, admin, running.base_url, None)
    else:
        app = request.getfixturevalue("sandbox_app")
        transport = httpx.ASGITransport(app=app)
        admin_http = httpx.AsyncClient(transport=transport, base_url=ASGI_BASE)
        admin = AsyncSandboxAdmin(client=admin_http)
        await admin.reset()
        both = Both("async", None, admin, ASGI_BASE, transport)
        both._extra.append(admin_http)
    both.client = both.new_client()
    try:
        yield both
    finally:
        await both.close()


@pytest.fixture
def media() -> Path:
    return MEDIA
