"""The draft box: draft/add, get, delete, update, count, batchget."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from wechat_material.sandbox.endpoint import Call, endpoint


async def add(call: Call) -> dict[str, Any]:
    body = await call.json()
    rules = call.backend.article_rules(call.appid, draft=True)
    return call.backend.drafts.add(call.appid, body.get("articles"), rules)


async def get(call: Call) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    return call.backend.drafts.get(call.appid, media_id, call.base)


async def delete(call: Call) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    call.backend.drafts.delete(call.appid, media_id)
    return {"errcode": 0, "errmsg": "ok"}


async def update(call: Call) -> dict[str, Any]:
    body = await call.json()
    call.backend.drafts.update(
        call.appid,
        body.text("media_id", missing=41006),
        body.integer("index"),
        body.get("articles"),
        call.backend.article_rules(call.appid, draft=True),
    )
    return {"errcode": 0, "errmsg": "ok"}


async def count(call: Call) -> dict[str, Any]:
    return call.backend.drafts.count(call.appid)


async def batchget(call: Call) -> dict[str, Any]:
    body = await call.json()
    return call.backend.drafts.batchget(
        call.appid,
        body.integer("offset", default=0),
        body.integer("count"),
        body.flag("no_content"),
        call.base,
    )


ROUTES: list[Route] = [
    endpoint("/cgi-bin/draft/add", add, writes=True),
    endpoint("/cgi-bin/draft/get", get),
    endpoint("/cgi-bin/draft/delete", delete, writes=True),
    endpoint("/cgi-bin/draft/update", update, writes=True),
    endpoint("/cgi-bin/draft/count", count, method="GET"),
    endpoint("/cgi-bin/draft/batchget", batchget),
]
