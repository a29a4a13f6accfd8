"""The layers around the routes: the guard (outermost) and call counting.

- The guard: no traceback ever reaches a client. An unexpected exception
  becomes ``-1 system error`` on API paths (what WeChat answers when it fails
  inside) and a JSON 500 on the admin API; the traceback goes to the
  ``wechat_material.sandbox`` log only.
- Counting: every API call is counted on arrival, under the appid it is made
  for. The appid comes from the access_token (for API calls), the query
  string (for /token) or the JSON body (for /stable_token, read here and
  handed on intact); one the sandbox has no account for counts as unknown.
  Each call is also recorded in the journal, with its reply's errcode and
  latency (:mod:`~wechat_material.sandbox.http.journaling`).

The fault layer (:mod:`wechat_material.sandbox.http.faults`) comes after them.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wechat_material import _endpoints as ep
from wechat_material.sandbox.http.faults import ConnectionDropped
from wechat_material.sandbox.http.journaling import run_recorded
from wechat_material.sandbox.http.wire import (
    error_payload,
    json_label,
    json_reply,
    load_json,
    query_of,
)
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.config import API_PREFIX
from wechat_material.sandbox.state.quotas import UNKNOWN_APPID

log = logging.getLogger("wechat_material.sandbox")
PEEK_LIMIT = 16 * 1024  # a stable_token body is tiny; past this it is not looked at


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


class BackendLayer:
    """A layer around the routes that works with the sandbox's state."""

    def __init__(self, app: ASGIApp, backend: SandboxBackend) -> None:
        self.app = app
        self.backend = backend


class CountingMiddleware(BackendLayer):
    """Counts each API call in ``backend.counters`` before anything can refuse it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(API_PREFIX):
            query = query_of(scope)
            token = query.get("access_token")
            if token:
                appid = self.backend.caller_of(token)
            elif path == ep.STABLE_TOKEN.path:
                body, receive = await peek_body(receive, PEEK_LIMIT)
                appid = _appid_in(body)
            else:
                appid = query.get("appid", "")
            if appid and self.backend.accounts.get(appid) is None:
                appid = UNKNOWN_APPID
            self.backend.counters.count(appid, path)
            await run_recorded(self.app, scope, receive, send, self.backend, appid)
            return
        await self.app(scope, receive, send)


class ApiRoutes:
    """The innermost layer: an API call goes straight to its route, found by its path.

    The API's paths are fixed, so one dictionary look-up stands in for the router
    trying its routes' patterns one by one (over twenty for the last of them). Any
    other path, or a method the route does not take, goes on to the router (whose
    405 Starlette's exception layer answers).
    """

    def __init__(self, app: ASGIApp, routes: list[Route]) -> None:
        self.app = app
        self.by_path = {route.path: route for route in routes if "{" not in route.path}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.by_path.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] not in (route.methods or ()):
            await self.app(scope, receive, send)
            return
        # What the router would have put in the scope on a match.
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {}
        # The endpoint itself, without the route's wrapping: an API endpoint answers its
        # own errors, and no exception handler is registered for the others.
        response = await route.endpoint(Request(scope, receive, send))
        await response(scope, receive, send)


class GuardMiddleware(BackendLayer):
    """Turns any unexpected exception into a reply (and a log entry)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except ConnectionDropped:
            raise  # a fault doing its job
        except ClientDisconnect:
            # The client went away mid-request (Ctrl-C in an upload): nobody to answer.
            log.debug("client left during %s %s", scope["method"], scope["path"])
            return
        except Exception:
            log.exception("unexpected error while serving %s %s", scope["method"], scope["path"])
            if started:
                raise
            if scope["path"].startswith("/_sandbox/"):
                reply = json_reply({"error": "internal error; see the sandbox's log"}, status=500)
            else:
                payload = error_payload(SandboxError(-1), self.backend.rid())
                label = json_label(
                    self.backend.switches.json_content_type, scope["path"], error=True
                )
                reply = json_reply(payload, label)
            await reply(scope, receive, send)
