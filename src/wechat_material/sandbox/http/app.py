"""Assembling the sandbox: backend, routes and the layers around them.

Layers, outermost first: the guard (no traceback reaches a client), the
console's security headers (on every reply under ``/`` and ``/ui/``), the
doors (who may use the admin API and the console:
:mod:`~wechat_material.sandbox.http.access`), call counting (every API call, on
arrival), body caps (each endpoint's largest body, checked before and while it
is read), faults (when configured), then the routes (an API call found by its
path at once, anything else by the router): the API
(:mod:`~wechat_material.sandbox.http.routes`), the admin API
(:mod:`~wechat_material.sandbox.http.admin`), the console's pages
(:mod:`~wechat_material.sandbox.http.console`) and the files and pages the
sandbox serves (:mod:`~wechat_material.sandbox.http.files`).

An API call (a path under ``/cgi-bin/``) takes a shorter way through the same
layers: the console's headers and the doors never apply to it, and Starlette's
own error layer has nothing to add to the guard's, so it goes from the guard
straight to call counting (:class:`SandboxApp`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from wechat_material.sandbox.http import admin, console, files, routes
from wechat_material.sandbox.http.access import Doors, DoorsMiddleware
from wechat_material.sandbox.http.body_caps import BodyCapMiddleware
from wechat_material.sandbox.http.console_headers import ConsoleHeadersMiddleware
from wechat_material.sandbox.http.middleware import (
    ApiRoutes,
    CountingMiddleware,
    FaultMiddleware,
    GuardMiddleware,
)
from wechat_material.sandbox.http.wire import error_reply
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.config import API_PREFIX, SandboxConfig


class SandboxApp(Starlette):
    """Starlette, with a shorter way for API calls through :attr:`api_layers`."""

    api_layers: list[Middleware]
    _api_stack: ASGIApp | None = None

    def build_middleware_stack(self) -> ASGIApp:
        # What an API call the fast look-up does not serve (an unknown path, a method
        # the route does not take) goes on to: the router, behind Starlette's 404/405.
        app: ASGIApp = ExceptionMiddleware(self.router, debug=self.debug)
        for cls, args, kwargs in reversed(self.api_layers):
            app = cls(app, *args, **kwargs)
        self._api_stack = app
        return super().build_middleware_stack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            scope["app"] = self
            if self.middleware_stack is None:
                self.middleware_stack = self.build_middleware_stack()
            assert self._api_stack is not None  # built with the middleware stack
            await self._api_stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


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

    guard = Middleware(GuardMiddleware, backend=backend)
    # From call counting in: what every API call goes through.
    inner = [
        Middleware(CountingMiddleware, backend=backend),
        Middleware(BodyCapMiddleware, backend=backend),
        Middleware(FaultMiddleware, plan=backend.faults, error_reply=fault_error),
        Middleware(ApiRoutes, routes=routes.api.routes),
    ]
    app = SandboxApp(
        routes=[
            *routes.api.routes,
            *admin.ROUTES,
            *console.ROUTES,
            *files.ROUTES,  # last: it ends with the catch-all for unknown API paths
        ],
        middleware=[
            guard,
            Middleware(ConsoleHeadersMiddleware),
            Middleware(DoorsMiddleware, doors=doors),
            *inner,
        ],
    )
    app.api_layers = [guard, *inner]
    app.router.redirect_slashes = False
    app.state.doors = doors
    return app
