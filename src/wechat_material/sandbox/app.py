"""Assembling the sandbox: backend, routes and the layers around them.

Layers, outermost first: the guard (no traceback reaches a client), call
counting (every /cgi-bin call, on arrival), faults (when configured), then
the routes.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response

from wechat_material.sandbox import (
    admin,
    routes_draft,
    routes_files,
    routes_material,
    routes_media,
    routes_publish,
    routes_token,
)
from wechat_material.sandbox.backend import SandboxBackend
from wechat_material.sandbox.config import SandboxConfig
from wechat_material.sandbox.counting import CountingMiddleware
from wechat_material.sandbox.endpoint import error_reply
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.faults import FaultMiddleware
from wechat_material.sandbox.guard import GuardMiddleware
from wechat_material.sandbox.router import TableRouter


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A new sandbox as an ASGI app; its state is ``app.state.sandbox``.

    With a ``data_dir``, close it when done (``app.state.sandbox.close()``) to
    free the directory; ``SandboxInUseError`` when another sandbox holds it.

    >>> app = create_app(SandboxConfig(seed=7))
    >>> client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
    ...                            base_url="http://sandbox.test")
    """
    backend = SandboxBackend(config or SandboxConfig())
    try:
        app = _assemble(backend)
    except BaseException:
        backend.close()  # it may hold a data directory
        raise
    app.state.sandbox = backend
    return app


def _assemble(backend: SandboxBackend) -> Starlette:
    def system_error() -> Response:
        return error_reply(backend, SandboxError(-1))

    app = Starlette(
        middleware=[
            Middleware(GuardMiddleware, backend=backend),
            Middleware(CountingMiddleware, backend=backend),
            Middleware(FaultMiddleware, plan=backend.faults, error_reply=system_error),
        ],
    )
    app.router = TableRouter(
        [
            *routes_token.ROUTES,
            *routes_media.ROUTES,
            *routes_material.ROUTES,
            *routes_draft.ROUTES,
            *routes_publish.ROUTES,
            *admin.ROUTES,
            *routes_files.ROUTES,  # last: it ends with the catch-all for unknown API paths
        ]
    )
    app.router.redirect_slashes = False
    return app
