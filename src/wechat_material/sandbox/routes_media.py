"""Temporary media: media/upload, get, get/jssdk, uploadimg, uploadnews, uploadvideo."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from wechat_material.limits import MaterialType, Target
from wechat_material.sandbox.articles import prepare_articles
from wechat_material.sandbox.blobs import StoredFile
from wechat_material.sandbox.endpoint import Call, endpoint
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.receive import receive_upload


def _media_id(call: Call) -> str:
    media_id = call.query("media_id")
    if not media_id:
        raise SandboxError(41006)
    return media_id


async def upload(call: Call) -> dict[str, Any]:
    received = await receive_upload(call, Target.TEMPORARY, call.query("type"))
    try:
        return call.backend.media.add_file(call.appid, received.type, received.file)
    finally:
        call.backend.storage.blobs.discard(received.file.staged)


async def get(call: Call) -> StoredFile | dict[str, Any]:
    return call.backend.media.fetch(call.appid, _media_id(call), call.base)


async def get_jssdk(call: Call) -> StoredFile:
    return call.backend.media.fetch_jssdk(call.appid, _media_id(call))


async def uploadimg(call: Call) -> dict[str, Any]:
    """An image for article HTML: jpg/png up to 1 MB; not counted against any cap."""
    received = await receive_upload(call, Target.ARTICLE_IMAGE, MaterialType.IMAGE.value)
    try:
        return {
            "url": call.backend.materials.add_article_image(call.appid, received.file, call.base)
        }
    finally:
        call.backend.storage.blobs.discard(received.file.staged)


async def uploadnews(call: Call) -> dict[str, Any]:
    body = await call.json()
    rules = call.backend.article_rules(call.appid, mass_send=True)
    return call.backend.media.add_news(call.appid, prepare_articles(body.get("articles"), rules))


async def uploadvideo(call: Call) -> dict[str, Any]:
    body = await call.json()
    title = body.get("title") or ""
    description = body.get("description") or ""
    if not isinstance(title, str) or not isinstance(description, str):
        raise SandboxError(47001, "title and description must be strings")
    return call.backend.media.add_mpvideo(
        call.appid, body.text("media_id", missing=41006), title, description
    )


ROUTES: list[Route] = [
    endpoint("/cgi-bin/media/upload", upload, writes=True),
    endpoint("/cgi-bin/media/get", get, method="GET"),
    endpoint("/cgi-bin/media/get/jssdk", get_jssdk, method="GET"),
    endpoint("/cgi-bin/media/uploadimg", uploadimg, writes=True),
    endpoint("/cgi-bin/media/uploadnews", uploadnews, writes=True),
    endpoint("/cgi-bin/media/uploadvideo", uploadvideo, writes=True),
]
