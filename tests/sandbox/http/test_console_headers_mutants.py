"""The console's security headers go on a reply whose start names no headers at all
(the ``headers`` key is optional in ASGI)."""

from __future__ import annotations

from typing import Any

import pytest

from wechat_material.sandbox.http.console_headers import (
    SECURITY_HEADERS,
    ConsoleHeadersMiddleware,
)

from ..wechat_wire import asgi_scope

pytestmark = pytest.mark.anyio


async def test_a_reply_without_headers_gets_the_security_headers() -> None:
    async def bare(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"ok"})

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await ConsoleHeadersMiddleware(bare)(asgi_scope("/ui/journal"), receive, send)
    assert sent[0]["headers"] == list(SECURITY_HEADERS)
    assert sent[1]["body"] == b"ok"
