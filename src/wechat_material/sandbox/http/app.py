"""Assembling the sandbox: backend, routes and the layers around them.

Layers, outermost first: the guard (no traceback reaches a client), the
console's security headers (on every reply under ``/`` and ``/ui/``), the
doors (who may use the admin API and the console:
:mod:`~wechat_material.sandbox.http.doors`), call counting (every API call, on
arrival), body caps (each endpoint's largest body, checked before and while it
is read), faults (when configured), then the routes (an API call found by its
path at once, anything else by the router): the API
(:mod:`~wechat_material.sandbox.http.routes`), the admin API
(:mod:`~wechat_material.sandbox.http.admin`), the console's pages
(:mod:`~wechat_material.sandbox.http.console`) and the files and pages the
sandbox serves (:mod:`~wechat_material.sandbox.http.files`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response

from wechat_material.sandbox.http import admin, console, files, routes
from wechat_material.sandbox.http.body_caps import BodyCapMiddleware
from wechat_material.sandbox.http.console_headers import ConsoleHeadersMiddleware
from wechat_material.sandbox.http.doors import Doors, DoorsMiddleware
from wechat_material.sandbox.http.endpoint import error_reply
from wechat_material.sandbox.http.faults import FaultMiddleware
from wechat_material.sandbox.http.layers import ApiRoutes, CountingMiddleware, GuardMiddleware
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.config import SandboxConfig


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A new sandbox as an ASGI app; its state is ``app.state.sandbox``.

    ``app.state.doors`` holds the admin API's access rules (:class:`Doors`);
    whoever serves the app on a socket calls its ``bind`` first.

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
    config = backend.config
    doors = Doors(config.admin_token, list(config.allowed_hosts), config.public_url)

    def fault_error(code: int, path: str) -> Response:
        return error_reply(backend, SandboxError(code, "a fault rule answered"), path)

    app = Starlette(
        routes=[
            *routes.api.routes,
            *admin.ROUTES,
            *console.ROUTES,
            *files.ROUTES,  # last: it ends with the catch-all for unknown API paths
        ],
        middleware=[
            Middleware(GuardMiddleware, backend=backend),
            Middleware(ConsoleHeadersMiddleware),
            Middleware(DoorsMiddleware, doors=doors),
            Middleware(CountingMiddleware, backend=backend),
            Middleware(BodyCapMiddleware, backend=backend),
            Middleware(FaultMiddleware, plan=backend.faults, error_reply=fault_error),
            Middleware(ApiRoutes, routes=routes.api.routes),
        ],
    )
    app.router.redirect_slashes = False
    app.state.doors = doors
    return app
