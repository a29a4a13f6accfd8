"""The outermost layer: no traceback ever reaches a client.

An unexpected exception becomes ``-1 system error`` on API paths (what WeChat
answers when it fails inside) and a JSON 500 on the admin API; the traceback
goes to the ``wechat_material.sandbox`` log only.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wechat_material.sandbox.backend import SandboxBackend
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.faults import ConnectionDropped
from wechat_material.sandbox.wire import error_payload, json_reply

log = logging.getLogger("wechat_material.sandbox")


class GuardMiddleware:
    def __init__(self, app: ASGIApp, backend: SandboxBackend) -> None:
        self.app = app
        self.backend = backend

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
                reply = json_reply(payload, self.backend.settings.json_content_type)
            await reply(scope, receive, send)
