"""Counts every /cgi-bin call on arrival, under the appid it is made for.

The appid comes from the access_token (for API calls), the query string (for
/token) or the JSON body (for /stable_token, read here and handed on intact).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wechat_material.sandbox.backend import SandboxBackend
from wechat_material.sandbox.quotas import STABLE_TOKEN_PATH
from wechat_material.sandbox.wire import load_json, query_of

PEEK_LIMIT = 64 * 1024  # a stable_token body is tiny; past this it is not looked at


async def peek_body(receive: Receive, limit: int) -> tuple[bytes | None, Receive]:
    """The body (None if longer than ``limit``) and a ``receive`` that replays it."""
    messages: list[Message] = []
    size = 0
    complete = False
    while size <= limit:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            complete = True
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    return (body if complete and size <= limit else None), replay


def _appid_in(body: bytes | None) -> str:
    try:
        data = load_json(body or b"")
    except ValueError:
        return ""
    appid = data.get("appid") if isinstance(data, dict) else None
    return appid if isinstance(appid, str) else ""


class CountingMiddleware:
    def __init__(self, app: ASGIApp, backend: SandboxBackend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/cgi-bin/"):
            query = query_of(scope)
            token = query.get("access_token")
            if token:
                appid = self.backend.caller_of(token)
            elif path == STABLE_TOKEN_PATH:
                body, receive = await peek_body(receive, PEEK_LIMIT)
                appid = _appid_in(body)
            else:
                appid = query.get("appid", "")
            self.backend.counters.count(appid, path)
        await self.app(scope, receive, send)
