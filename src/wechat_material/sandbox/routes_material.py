"""Permanent material: add_material, get_material, del_material, counts, lists, news."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from wechat_material.checks import video_description_problem
from wechat_material.limits import MaterialType, Target
from wechat_material.sandbox.blobs import StoredFile
from wechat_material.sandbox.endpoint import Call, endpoint
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.receive import receive_upload
from wechat_material.sandbox.wire import RawJson, load_json

# [assumed] WeChat documents no bounds for a video's title and introduction;
# these follow the console's form, with the codes for a long title / description.


def video_description(raw: str | None) -> tuple[str, str]:
    """``{"title", "introduction"}`` of a permanent video: 40097 when missing or not that
    JSON [assumed], 45003 / 45004 when too long [assumed]."""
    if not raw:
        raise SandboxError(40097, "a permanent video needs 'description' (form field or query)")
    try:
        described = load_json(raw)
    except ValueError:
        raise SandboxError(
            40097, "'description' must be JSON with title and introduction"
        ) from None
    title = described.get("title") if isinstance(described, dict) else None
    intro = described.get("introduction") if isinstance(described, dict) else None
    problem = video_description_problem(title, intro)
    if problem is not None:
        raise SandboxError(problem.errcode, problem.message)
    return str(title), str(intro)  # both checked to be text just above


async def add_material(call: Call) -> dict[str, Any]:
    received = await receive_upload(call, Target.PERMANENT, call.query("type"))
    try:
        video = None
        if received.type is MaterialType.VIDEO:
            # Clients send it as a form field or, some of them, in the query string.
            video = video_description(
                received.fields.get("description") or call.query("description")
            )
        return call.backend.materials.add_file(
            call.appid, received.type, received.file, call.base, video
        )
    finally:
        call.backend.storage.blobs.discard(received.file.staged)


async def get_material(call: Call) -> StoredFile | dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    return call.backend.materials.get(call.appid, media_id, call.base)


async def del_material(call: Call) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    call.backend.materials.delete(call.appid, media_id)
    return {"errcode": 0, "errmsg": "ok"}


async def get_materialcount(call: Call) -> dict[str, Any]:
    return call.backend.materials.count(call.appid)


async def batchget_material(call: Call) -> dict[str, Any] | RawJson:
    body = await call.json()
    type_name = body.get("type")
    if not isinstance(type_name, str):
        raise SandboxError(40004, "'type' must be image, video, voice or news")
    return call.backend.materials.batchget(
        call.appid,
        type_name,
        body.integer("offset", default=0),
        body.integer("count"),
        call.base,
    )


async def add_news(call: Call) -> dict[str, Any]:
    call.backend.news.check_open()
    body = await call.json()
    return call.backend.news.add(
        call.appid, body.get("articles"), call.backend.article_rules(call.appid)
    )


async def update_news(call: Call) -> dict[str, Any]:
    call.backend.news.check_open()
    body = await call.json()
    call.backend.news.update(
        call.appid,
        body.text("media_id", missing=41006),
        body.integer("index"),
        body.get("articles"),
        call.backend.article_rules(call.appid),
    )
    return {"errcode": 0, "errmsg": "ok"}


ROUTES: list[Route] = [
    endpoint("/cgi-bin/material/add_material", add_material, writes=True),
    endpoint("/cgi-bin/material/get_material", get_material),
    endpoint("/cgi-bin/material/del_material", del_material, writes=True),
    endpoint("/cgi-bin/material/get_materialcount", get_materialcount, method="GET"),
    endpoint("/cgi-bin/material/batchget_material", batchget_material),
    endpoint("/cgi-bin/material/add_news", add_news, writes=True),
    endpoint("/cgi-bin/material/update_news", update_news, writes=True),
]
