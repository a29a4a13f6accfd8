"""uvicorn serves the sandbox as an ASGI 3 app even when its ``__call__`` takes ``*args``.

Left to guess, uvicorn calls the app with no arguments (a factory?) and reads its
``__call__`` (ASGI 2 or 3?): a wrapped ``__call__``, as mutation testing makes every
method, fooled both and every request over a socket failed.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import uvicorn

from wechat_material.sandbox.http.app import create_app
from wechat_material.sandbox.server import as_asgi3


class Wrapped:
    """An ASGI app whose ``__call__`` takes anything, as a decorated method does."""

    def __init__(self) -> None:
        self.inner = create_app()

    async def __call__(self, *args: Any) -> None:
        await self.inner(*args)


@pytest.mark.anyio
async def test_a_wrapped_app_is_loaded_as_asgi3_and_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Wrapped()
    config = uvicorn.Config(as_asgi3(app), interface="asgi3", lifespan="off")
    with caplog.at_level(logging.WARNING):
        config.load()
    assert not [r for r in caplog.records if "factory" in r.getMessage()]
    transport = httpx.ASGITransport(app=config.loaded_app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            reply = await client.get("/_sandbox/health")
        assert reply.status_code == 200
        assert reply.json() == {"ok": True}
    finally:
        app.inner.state.sandbox.close()


def test_the_sandbox_app_itself_is_served_without_a_wrapper() -> None:
    app, wrapped = create_app(), Wrapped()
    try:
        assert as_asgi3(app) is app
        assert as_asgi3(wrapped) is not wrapped
    finally:
        app.state.sandbox.close()
        wrapped.inner.state.sandbox.close()
