"""Fault injection on the wire: the ASGI layer that carries out the fault plan.

The rules and their draws are :mod:`wechat_material.sandbox.state.faults`; this
layer delays the call, answers ``-1`` (or the rule's errcode) or a gateway's
5xx page, or cuts the reply short, on every faultable path (API calls and the
files under /mmbiz/, never the admin API). It names the fault it applied in
the scope, for the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wechat_material.sandbox.http.journaling import FAULT_KEY
from wechat_material.sandbox.state.config import API_PREFIX
from wechat_material.sandbox.state.faults import FaultPlan, Outcome
from wechat_material.sandbox.state.links import URL_PREFIX

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

    def __init__(self, app: ASGIApp, plan: FaultPlan, error_reply: Callable[[int], Any]) -> None:
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
            await self.error_reply(decision.errcode)(scope, receive, send)
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
