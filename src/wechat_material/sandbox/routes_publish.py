"""Publishing: freepublish/submit, get, delete, getarticle, batchget."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from wechat_material.sandbox.endpoint import Call, endpoint
from wechat_material.sandbox.errors import SandboxError


def _id(value: Any, name: str) -> str:
    """publish_id comes as a string or, from some clients, a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    raise SandboxError(40097 if value is None or value == "" else 47001, f"'{name}' is required")


async def submit(call: Call) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    return call.backend.publishing.submit(call.appid, media_id)


async def get(call: Call) -> dict[str, Any]:
    publish_id = _id((await call.json()).get("publish_id"), "publish_id")
    return call.backend.publishing.status(call.appid, publish_id, call.base)


async def delete(call: Call) -> dict[str, Any]:
    body = await call.json()
    article_id = _id(body.get("article_id"), "article_id")
    call.backend.publishing.delete(call.appid, article_id, body.integer("index", default=0))
    return {"errcode": 0, "errmsg": "ok"}


async def getarticle(call: Call) -> dict[str, Any]:
    article_id = _id((await call.json()).get("article_id"), "article_id")
    return call.backend.publishing.get_article(call.appid, article_id, call.base)


async def batchget(call: Call) -> dict[str, Any]:
    body = await call.json()
    return call.backend.publishing.batchget(
        call.appid,
        body.integer("offset", default=0),
        body.integer("count"),
        body.flag("no_content"),
        call.base,
    )


ROUTES: list[Route] = [
    endpoint("/cgi-bin/freepublish/submit", submit, writes=True),
    endpoint("/cgi-bin/freepublish/get", get),
    endpoint("/cgi-bin/freepublish/delete", delete, writes=True),
    endpoint("/cgi-bin/freepublish/getarticle", getarticle),
    endpoint("/cgi-bin/freepublish/batchget", batchget),
]
