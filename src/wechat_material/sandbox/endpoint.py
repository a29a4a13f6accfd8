"""What every /cgi-bin endpoint does before and after its own work.

:func:`endpoint` wraps a handler into a Starlette route that checks the HTTP
method (a POST-only endpoint answers GET with 43002; GET endpoints also take
POST, as WeChat does), admits the call (token, IP whitelist, account status,
quotas) and turns the handler's result into a reply: a dict becomes JSON, a
:class:`RawJson` is sent as it is, a :class:`StoredFile` a file reply, a
:class:`SandboxError` an error reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from wechat_material.sandbox.backend import SandboxBackend
from wechat_material.sandbox.blobs import StoredFile
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.multipart import UploadForm, read_upload_form
from wechat_material.sandbox.wire import (
    Body,
    RawJson,
    error_payload,
    file_reply,
    json_reply,
    query_of,
    read_json,
)

ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def backend_of(request: Request) -> SandboxBackend:
    backend: SandboxBackend = request.app.state.sandbox
    return backend


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - no client known


# A request's base URL depends on these parts of its scope only; clients send the same
# few again and again, so each is worked out once. Bounded: a client may vary its Host.
_BASES: dict[tuple[Any, ...], str] = {}
_MAX_BASES = 256


def base_url(request: Request, backend: SandboxBackend) -> str:
    """Where the URLs the sandbox hands out point: the public URL, or this request's."""
    if backend.config.public_url:
        return backend.config.public_url.rstrip("/")
    scope = request.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    root = scope.get("app_root_path", scope.get("root_path", ""))
    key = (scope.get("scheme"), scope.get("server"), root, host)
    base = _BASES.get(key)
    if base is None:
        if len(_BASES) >= _MAX_BASES:
            _BASES.clear()
        base = _BASES[key] = str(request.base_url).rstrip("/")
    return base


def error_reply(backend: SandboxBackend, error: SandboxError) -> Response:
    return json_reply(error_payload(error, backend.rid()), backend.settings.json_content_type)


@dataclass
class Call:
    """One admitted API call, as a handler sees it."""

    request: Request
    backend: SandboxBackend
    appid: str

    @property
    def base(self) -> str:
        return base_url(self.request, self.backend)

    @property
    def ip(self) -> str:
        return client_ip(self.request)

    def query(self, name: str) -> str | None:
        return query_of(self.request.scope).get(name)

    async def json(self) -> Body:
        return await read_json(self.request, self.backend.config.max_request_bytes)

    async def form(self) -> UploadForm:
        return await read_upload_form(self.request, self.backend.config.max_request_bytes)


Handler = Callable[[Call], Awaitable[dict[str, Any] | RawJson | StoredFile | Response]]


def endpoint(
    path: str,
    handler: Handler,
    *,
    method: Literal["GET", "POST"] = "POST",
    authenticated: bool = True,
    writes: bool = False,
) -> Route:
    """A route for ``path`` running ``handler``; token endpoints pass ``authenticated=False``.

    ``writes=True`` marks an endpoint that changes content (uploads, add, update,
    delete, submit): a limited account is refused those with 50002.
    """

    async def run(request: Request) -> Response:
        backend = backend_of(request)
        try:
            if method == "POST" and request.method != "POST":
                raise SandboxError(43002)
            appid = ""
            if authenticated:
                appid = backend.begin_call(
                    query_of(request.scope).get("access_token"),
                    path,
                    client_ip(request),
                    writes=writes,
                )
            result = await handler(Call(request, backend, appid))
        except SandboxError as error:
            return error_reply(backend, error)
        if isinstance(result, Response):
            return result
        if isinstance(result, StoredFile):
            try:
                return file_reply(backend.storage.blobs, result)
            except SandboxError as error:
                return error_reply(backend, error)
        return json_reply(result, backend.settings.json_content_type)

    # Every method reaches the handler, so a wrong one gets WeChat's answer, not a 405.
    return Route(path, _RouteApp(run), methods=list(ANY_METHOD), name=path)


class _RouteApp:
    """An endpoint as a plain ASGI app. Starlette would wrap a request handler in a
    layer that turns HTTPException into a reply: no endpoint raises one, and the
    layer costs time on every call."""

    def __init__(self, run: Callable[[Request], Awaitable[Response]]) -> None:
        self._run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._run(Request(scope, receive, send))
        await response(scope, receive, send)
