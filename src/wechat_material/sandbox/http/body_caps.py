"""How large a request body each endpoint takes, enforced before and while it is read.

One table, :data:`BODY_CAPS`, keyed by the SDK's endpoint objects: uploads take
their largest file plus room for the form, calls that carry articles take
eight articles at WeChat's content limit, every other call a small JSON
object. Unknown API paths, the files the sandbox serves and the admin API
(:data:`ADMIN_CAP`, :data:`JSSDK_VOICE_CAP`) have caps of their own. A
sandbox's ``max_request_bytes`` lowers every cap.

:class:`BodyCapMiddleware` applies them:

- a ``Content-Length`` over the cap is refused at once, nothing read, and the
  connection closed;
- a body without one (chunked) is counted as it arrives; past the cap the
  reading stops, the call is refused and the connection closed;
- a reply that comes before the body was read (no token, unknown path, a
  fault) first reads and drops the rest of the body, up to the cap: a client
  still sending would otherwise see its connection reset instead of the reply.

The refusal is WeChat's own where the contract has one, at HTTP 200: 45001
for uploads, 47001 for JSON calls. Elsewhere it is HTTP 413 with a JSON body.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from wechat_material import _endpoints as ep
from wechat_material._endpoints import Endpoint
from wechat_material.limits import KB, LIMITS, MB, MaterialType, Target
from wechat_material.sandbox.http.middleware import BackendLayer
from wechat_material.sandbox.http.wire import error_payload, json_label, json_reply
from wechat_material.sandbox.state import SandboxError

SMALL_JSON_CAP = 64 * KB
"""A JSON call without articles: ids, offsets, a token request (a few hundred bytes)."""

# An article's content is under 20,000 characters; a character written as a
# \\u escape pair takes 12 bytes, so 240 KB an article, and 8 articles a call.
ARTICLES_CAP = 2 * MB

UPLOAD_MARGIN = 1 * MB
"""Room in an upload past its largest file: the form's boundaries, headers, text fields."""

ADMIN_CAP = 64 * KB
JSSDK_VOICE_CAP = LIMITS[(Target.TEMPORARY, MaterialType.VOICE)].max_bytes + UPLOAD_MARGIN
"""A JS-SDK voice seeded through the admin API: a voice's 2 MB, and room to spare."""


@dataclass(frozen=True)
class BodyCap:
    """The most bytes a body may have, and the errcode (HTTP 200) of one over it."""

    max_bytes: int
    errcode: int = 47001


def _upload_cap(target: Target) -> BodyCap:
    largest = max(limit.max_bytes for (t, _), limit in LIMITS.items() if t == target)
    return BodyCap(largest + UPLOAD_MARGIN, 45001)


_SPECIAL: dict[Endpoint, BodyCap] = {
    ep.MEDIA_UPLOAD: _upload_cap(Target.TEMPORARY),
    ep.MATERIAL_ADD: _upload_cap(Target.PERMANENT),
    ep.MEDIA_UPLOAD_IMAGE: _upload_cap(Target.ARTICLE_IMAGE),
    ep.MEDIA_UPLOAD_NEWS: BodyCap(ARTICLES_CAP),
    ep.MATERIAL_ADD_NEWS: BodyCap(ARTICLES_CAP),
    ep.MATERIAL_UPDATE_NEWS: BodyCap(ARTICLES_CAP),
    ep.DRAFT_ADD: BodyCap(ARTICLES_CAP),
    ep.DRAFT_UPDATE: BodyCap(ARTICLES_CAP),
}

BODY_CAPS: dict[Endpoint, BodyCap] = {
    endpoint: _SPECIAL.get(endpoint, BodyCap(SMALL_JSON_CAP)) for endpoint in ep.ALL
}
"""Every endpoint of the SDK's table and the largest body it takes."""

_BY_PATH = {endpoint.path: cap for endpoint, cap in BODY_CAPS.items() if endpoint.path}
_ADMIN_PREFIX = "/_sandbox/"
_OTHER = BodyCap(SMALL_JSON_CAP)  # unknown API paths, the files the sandbox serves


def cap_for(path: str, ceiling: int) -> BodyCap:
    """The cap of a request to ``path``, no higher than ``ceiling`` bytes."""
    if path.startswith(_ADMIN_PREFIX):
        size = JSSDK_VOICE_CAP if path.endswith("/jssdk_voice") else ADMIN_CAP
        cap = BodyCap(size)
    else:
        cap = _BY_PATH.get(path, _OTHER)
    return cap if cap.max_bytes <= ceiling else BodyCap(ceiling, cap.errcode)


class BodyTooLarge(Exception):
    """The body went past its cap while it was read."""


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses such a request before it gets here
    return None


class BodyCapMiddleware(BackendLayer):
    """Applies :func:`cap_for` to every request (see the module's notes)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cap = cap_for(path, self.backend.config.max_request_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > cap.max_bytes:
            await self._refuse(path, cap, scope, receive, send)
            return
        received = 0
        finished = False  # the whole body, or the client's disconnect, was received

        async def counted() -> Message:
            nonlocal received, finished
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.max_bytes:
                    raise BodyTooLarge
                finished = not message.get("more_body", False)
            else:
                finished = True
            return message

        started = False

        async def draining_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                while not finished:
                    await counted()
                started = True
            await send(message)

        try:
            await self.app(scope, counted, draining_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(path, cap, scope, receive, send)

    async def _refuse(
        self, path: str, cap: BodyCap, scope: Scope, receive: Receive, send: Send
    ) -> None:
        detail = f"the body is over {cap.max_bytes} bytes"
        reply: Response
        if path.startswith(_ADMIN_PREFIX):
            reply = json_reply({"error": f"{detail}, the most this admin call takes"}, status=413)
        else:
            payload = error_payload(SandboxError(cap.errcode, detail), self.backend.rid())
            known = path in _BY_PATH
            label = json_label(self.backend.switches.json_content_type, path, error=True)
            reply = json_reply(payload, label, status=200 if known else 413)
        # The rest of the body is not read: the connection cannot carry another request.
        reply.headers["connection"] = "close"
        await reply(scope, receive, send)
