"""Recording each API call in the journal (:mod:`wechat_material.sandbox.state.journal`).

The counting layer hands every API call to :func:`run_recorded`, which runs
the rest of the app and watches what goes out: the status, the errcode of a
JSON reply (read from the first bytes of the body) and how long it took. The
fault layer, further in, leaves the fault it applied in the scope under
:data:`FAULT_KEY`.
"""

from __future__ import annotations

import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.journal import CallRecord

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
