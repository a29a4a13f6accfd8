"""How ``wxm mcp`` is reached: stdio, or streamable HTTP guarded by a bearer token.

Over HTTP the server listens on a loopback address unless told otherwise, and
then only with a bearer token (:data:`TOKEN_ENV`): every request must carry
``Authorization: Bearer <token>``, compared in constant time, or it is refused
with 401 before the MCP layer sees it. On loopback the SDK also checks the
``Host`` and ``Origin`` headers, so a web page cannot reach the server through
DNS rebinding.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_ENV = "WXM_MCP_TOKEN"  # noqa: S105 - the variable's name, not a token
TOKEN_MIN_CHARS = 16
MCP_PATH = "/mcp"


@dataclass(frozen=True)
class HttpBinding:
    """Where the HTTP server listens, and the token it asks for (None: none)."""

    host: str
    port: int
    token: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{MCP_PATH}"


class BearerGuard:
    """ASGI middleware: every HTTP request must carry the bearer token, or gets 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode("utf-8")

    def _authorized(self, scope: Scope) -> bool:
        scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode("utf-8"), self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            response = JSONResponse(
                {"error": "unauthorized", "hint": "send 'Authorization: Bearer <token>'"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="wxm mcp"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def serve_stdio(server: Any) -> None:
    """Serve ``server`` on stdin/stdout until the client closes them."""
    anyio.run(server.run_stdio_async)


def http_app(server: Any, binding: HttpBinding) -> ASGIApp:
    """The ASGI app for ``binding``: the SDK's streamable HTTP app, behind the token."""
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH, host=binding.host, json_response=False
    )
    if binding.token is not None:
        app = BearerGuard(app, binding.token)
    return app


def serve_http(server: Any, binding: HttpBinding, *, on_ready: Any = None) -> None:
    """Serve ``server`` over streamable HTTP at ``binding`` until interrupted."""
    import uvicorn

    config = uvicorn.Config(
        http_app(server, binding),
        host=binding.host,
        port=binding.port,
        log_level="warning",
        lifespan="on",
    )
    if on_ready is not None:
        on_ready(binding)
    uvicorn.Server(config).run()
