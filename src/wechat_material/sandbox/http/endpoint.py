"""What every API endpoint does before and after its own work.

Endpoints are the SDK's own table, :mod:`wechat_material._endpoints`: a
handler is registered against one of its :class:`~wechat_material._endpoints.Endpoint`
objects (``@api.handles(ep.MATERIAL_ADD, writes=True)``), which gives the
path, the method and whether the call carries an ``access_token``.

Around the handler, the route checks the HTTP method (a POST-only endpoint
answers GET with 43002; GET endpoints also take POST, as WeChat does), admits
the call (token, IP whitelist, account status, quotas) and turns the
handler's result into a reply: a dict becomes JSON (its links made absolute
URLs), a :class:`~wechat_material.sandbox.state.blobs.StoredFile` a file
reply, a :class:`~wechat_material.sandbox.state.SandboxError` an error
reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wechat_material._endpoints import Endpoint
from wechat_material.sandbox.http.body_caps import BODY_CAPS
from wechat_material.sandbox.http.uploads import MultipartUpload, read_upload_form
from wechat_material.sandbox.http.wire import (
    Body,
    error_payload,
    file_reply,
    json_label,
    json_reply,
    query_of,
    read_json,
)
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.blobs import StoredFile

ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def backend_of(request: Request) -> SandboxBackend:
    backend: SandboxBackend = request.app.state.sandbox
    return backend


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - no client known


def base_url(request: Request, backend: SandboxBackend) -> str:
    """Where the URLs the sandbox hands out point: the public URL, or this request's."""
    if backend.config.public_url:
        return backend.config.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def error_reply(backend: SandboxBackend, error: SandboxError, path: str = "") -> Response:
    """WeChat's error reply to a call to ``path``, labelled as WeChat labels it there."""
    label = json_label(backend.switches.json_content_type, path, error=True)
    return json_reply(error_payload(error, backend.rid()), label)


@dataclass
class ApiRequest:
    """One admitted API call, as a handler sees it."""

    request: Request
    backend: SandboxBackend
    appid: str
    body_cap: int
    """The most bytes this call's body may have (:mod:`~wechat_material.sandbox.http.body_caps`)."""

    @property
    def ip(self) -> str:
        return client_ip(self.request)

    def query(self, name: str) -> str | None:
        return query_of(self.request.scope).get(name)

    async def json(self) -> Body:
        return await read_json(self.request, self.body_cap)

    async def form(self) -> MultipartUpload:
        return await read_upload_form(self.request, self.body_cap)


Handler = Callable[[ApiRequest], Awaitable[dict[str, Any] | StoredFile]]


class EndpointTable:
    """The API routes, each registered once against the SDK's endpoint it serves."""

    def __init__(self) -> None:
        self.served: dict[Endpoint, Route] = {}

    def handles(self, endpoint: Endpoint, *, writes: bool = False) -> Callable[[Handler], Handler]:
        """Register the decorated handler as ``endpoint``.

        ``writes=True`` marks an endpoint that changes content (uploads, add, update,
        delete, submit): a limited account is refused those with 50002.
        """

        def register(handler: Handler) -> Handler:
            if endpoint in self.served:
                raise ValueError(f"{endpoint.path} is handled twice")
            self.served[endpoint] = api_route(endpoint, handler, writes=writes)
            return handler

        return register

    @property
    def routes(self) -> list[Route]:
        return list(self.served.values())


def api_route(endpoint: Endpoint, handler: Handler, *, writes: bool) -> Route:
    """A route for ``endpoint`` running ``handler``; calls without a token (``/token``,
    ``/stable_token``) are admitted by the handler itself."""
    path, post_only = endpoint.path, endpoint.method == "POST"
    cap = BODY_CAPS[endpoint].max_bytes

    async def run(request: Request) -> Response:
        backend = backend_of(request)
        try:
            if post_only and request.method != "POST":
                raise SandboxError(43002)
            appid = ""
            if endpoint.token:
                appid = backend.begin_call(
                    query_of(request.scope).get("access_token"),
                    path,
                    client_ip(request),
                    writes=writes,
                )
            result = await handler(
                ApiRequest(request, backend, appid, min(cap, backend.config.max_request_bytes))
            )
            if isinstance(result, StoredFile):
                return file_reply(backend.storage.blobs, result)
        except SandboxError as error:
            return error_reply(backend, error, path)
        base = lambda: base_url(request, backend)  # noqa: E731 - asked once, if a link is sent
        label = json_label(backend.switches.json_content_type, path, error=False)
        return json_reply(result, label, base=base)

    # Every method reaches the handler, so a wrong one gets WeChat's answer, not a 405.
    return Route(path, run, methods=list(ANY_METHOD), name=endpoint.name)
