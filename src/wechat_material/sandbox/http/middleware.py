"""The layers around the routes, outermost first: the guard, call counting (and the
journal), then, after the body caps (:mod:`~wechat_material.sandbox.http.body_caps`),
faults, and the API's own router.

- The guard: no traceback ever reaches a client. An unexpected exception
  becomes ``-1 system error`` on API paths (what WeChat answers when it fails
  inside) and a JSON 500 on the admin API; the traceback goes to the
  ``wechat_material.sandbox`` log only.
- Counting: every API call is counted on arrival, under the appid it is made
  for. The appid comes from the access_token (for API calls), the query
  string (for /token) or the JSON body (for /stable_token, read here and
  handed on intact); one the sandbox has no account for counts as unknown.
  Each call is also recorded in the journal
  (:mod:`wechat_material.sandbox.state.journal`) by :func:`run_recorded`,
  which watches what goes out: the status, the errcode of a JSON reply (read
  from the first bytes of the body), how long it took, and the fault applied.
- Faults: the fault plan's rules and draws are
  :mod:`wechat_material.sandbox.state.faults`; this layer carries them out on
  every faultable path (API calls and the files under /mmbiz/, never the
  admin API): it delays the call, answers ``-1`` (or the rule's errcode) or a
  gateway's 5xx page, or cuts the reply short, and names the fault it applied
  in the scope (:data:`FAULT_KEY`), for the journal.
- The API's router: an API call goes straight to its route, found by its path.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wechat_material import _endpoints as ep
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
from wechat_material.sandbox.state.faults import FaultPlan, Outcome
from wechat_material.sandbox.state.journal import CallRecord
from wechat_material.sandbox.state.links import URL_PREFIX
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


# -- the journal ------------------------------------------------------------------------

FAULT_KEY = "wechat_material.fault"
# An errcode reply is tiny; a JSON listing can be large and its errcode is 0 unless said.
_PEEK = 4096


def _reply_code(content_type: str, head: bytes) -> tuple[int | None, str]:
    """(errcode, errmsg) of a JSON reply; (None, "") for files and pages."""
    if "json" not in content_type and not content_type.startswith("text/plain"):
        return None, ""
    if len(head) > _PEEK or b'"errcode"' not in head:
        # A listing or other success (an error is short and says its errcode).
        return 0, ""
    try:
        data = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        # Longer than the peek: a listing or other success reply.
        return 0, ""
    if not isinstance(data, dict):
        return 0, ""
    code = data.get("errcode", 0)
    message = data.get("errmsg", "")
    return (code if isinstance(code, int) else 0), (message if isinstance(message, str) else "")


async def run_recorded(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, backend: SandboxBackend, appid: str
) -> None:
    """Run ``app`` for one API call and record the call in ``backend.journal``."""
    started = time.perf_counter()
    at = backend.clock.now()
    status = 0
    content_type = ""
    head = bytearray()

    async def watching_send(message: Message) -> None:
        nonlocal status, content_type
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    content_type = value.decode("latin-1").lower()
        elif message["type"] == "http.response.body" and len(head) <= _PEEK:
            head.extend(message.get("body", b"")[: _PEEK + 1 - len(head)])
        await send(message)

    try:
        await app(scope, receive, watching_send)
    finally:
        errcode, errmsg = _reply_code(content_type, bytes(head))
        backend.journal.record(
            CallRecord(
                at=at,
                method=str(scope.get("method", "")),
                path=str(scope.get("path", "")),
                query=scope.get("query_string", b"").decode("latin-1"),
                appid=appid,
                status=status,
                errcode=errcode,
                errmsg=errmsg,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                fault=str(scope.get(FAULT_KEY, "")),
                content_type=content_type,
            )
        )


# -- faults ----------------------------------------------------------------------------

FAULTABLE_PREFIXES = (API_PREFIX, URL_PREFIX)


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised inside the app to cut a reply short (what a client of a real socket
    sees as "peer closed connection"; over ``httpx.ASGITransport`` it arrives as is)."""


def gateway_page(status: int) -> bytes:
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable"}[status]
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


async def drain(receive: Receive) -> None:
    """Read and discard the rest of a request body."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class FaultMiddleware:
    """Applies the backend's fault plan to every faultable path."""

    def __init__(
        self, app: ASGIApp, plan: FaultPlan, error_reply: Callable[[int, str], Any]
    ) -> None:
        self.app = app
        self.plan = plan
        self.error_reply = error_reply

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(FAULTABLE_PREFIXES):
            await self.app(scope, receive, send)
            return
        decision = self.plan.decide(scope["path"])
        if decision is None:
            await self.app(scope, receive, send)
            return
        if decision.outcome is not Outcome.THROUGH:
            scope[FAULT_KEY] = decision.outcome.value
        elif decision.delay > 0:
            scope[FAULT_KEY] = "delay"
        if decision.delay > 0:
            await anyio.sleep(decision.delay)
        if decision.outcome is Outcome.ERROR:
            await drain(receive)
            await self.error_reply(decision.errcode, scope["path"])(scope, receive, send)
        elif decision.outcome is Outcome.HTTP_5XX:
            await drain(receive)
            body = gateway_page(decision.status)
            await send(
                {
                    "type": "http.response.start",
                    "status": decision.status,
                    "headers": [
                        (b"content-type", b"text/html"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
        elif decision.outcome is Outcome.DROP:
            await self.app(scope, receive, _cut_short(send))
        else:
            await self.app(scope, receive, send)


def _cut_short(send: Send) -> Send:
    """A ``send`` that lets the headers and half the first body chunk out, then cuts."""
    start: Message | None = None

    async def cutting_send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] == "http.response.body" and start is not None:
            body = message.get("body", b"")
            await send(start)
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            raise ConnectionDropped("peer closed connection without sending complete message body")
        await send(message)

    return cutting_send
