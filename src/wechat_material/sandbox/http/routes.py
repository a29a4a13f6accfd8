"""The WeChat API, one thin handler per endpoint of the SDK's table.

Each handler reads its parameters from the wire (query string, JSON body or
upload form), calls the state and returns what it answers; the route around
it (:mod:`wechat_material.sandbox.http.endpoint`) admits the call and shapes
the reply. Sections follow the API's areas: access tokens and quotas,
temporary media, permanent material, the draft box, publishing.
"""

from __future__ import annotations

from typing import Any

from wechat_material import _endpoints as ep
from wechat_material.checks import video_description_problem
from wechat_material.limits import MaterialType, Target
from wechat_material.sandbox.http.endpoint import ApiRequest, EndpointTable
from wechat_material.sandbox.http.uploads import BUFFER_PART, MEDIA_PART, receive_upload
from wechat_material.sandbox.http.wire import load_json
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import prepare_articles
from wechat_material.sandbox.state.blobs import StoredFile
from wechat_material.sandbox.state.config import API_PREFIX

api = EndpointTable()
OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


# -- access tokens and quotas -----------------------------------------------------------


@api.handles(ep.TOKEN)
async def token(call: ApiRequest) -> dict[str, Any]:
    grant = call.backend.grant_token(
        call.query("grant_type"), call.query("appid"), call.query("secret"), call.ip
    )
    return {"access_token": grant.access_token, "expires_in": grant.expires_in}


@api.handles(ep.STABLE_TOKEN)
async def stable_token(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    for name in ("grant_type", "appid", "secret"):
        if not isinstance(body.get(name), str | None):
            raise SandboxError(47001, f"'{name}' must be a string")
    grant = call.backend.grant_stable_token(
        body.get("grant_type"),
        body.get("appid"),
        body.get("secret"),
        body.flag("force_refresh"),
        call.ip,
    )
    return {"access_token": grant.access_token, "expires_in": grant.expires_in}


@api.handles(ep.CLEAR_QUOTA)
async def clear_quota(call: ApiRequest) -> dict[str, Any]:
    """Zero today's counters; the appid must be the caller's own [assumed: else 40013]."""
    appid = (await call.json()).text("appid", missing=41002)
    if appid != call.appid:
        raise SandboxError(40013, "clear_quota takes the calling account's own appid")
    call.backend.quotas.clear(appid)
    return OK


@api.handles(ep.GET_API_QUOTA)
async def quota_get(call: ApiRequest) -> dict[str, Any]:
    """A path's daily quota and rate limit; paths outside /cgi-bin/ → 40097 [assumed]."""
    path = (await call.json()).text("cgi_path", missing=40097)
    if not path.startswith(API_PREFIX):
        raise SandboxError(40097, "cgi_path must look like /cgi-bin/...")
    return {**OK, **call.backend.quotas.report(call.appid, path)}


# -- temporary media --------------------------------------------------------------------


def _media_id(call: ApiRequest) -> str:
    media_id = call.query("media_id")
    if not media_id:
        raise SandboxError(41006)
    return media_id


@api.handles(ep.MEDIA_UPLOAD, writes=True)
async def upload_media(call: ApiRequest) -> dict[str, Any]:
    received = await receive_upload(call, Target.TEMPORARY, call.query("type"))
    try:
        return call.backend.media.add_file(call.appid, received.type, received.file)
    finally:
        call.backend.storage.blobs.discard(received.file.staged)


@api.handles(ep.MEDIA_GET)
async def get_media(call: ApiRequest) -> StoredFile | dict[str, Any]:
    return call.backend.media.fetch(call.appid, _media_id(call))


@api.handles(ep.MEDIA_GET_JSSDK)
async def get_jssdk_media(call: ApiRequest) -> StoredFile:
    return call.backend.media.fetch_jssdk(call.appid, _media_id(call))


@api.handles(ep.MEDIA_UPLOAD_IMAGE, writes=True)
async def uploadimg(call: ApiRequest) -> dict[str, Any]:
    """An image for article HTML: jpg/png up to 1 MB; not counted against any cap. The file
    comes as ``media`` or, from the card API's logo upload, ``buffer``."""
    received = await receive_upload(
        call, Target.ARTICLE_IMAGE, MaterialType.IMAGE.value, (MEDIA_PART, BUFFER_PART)
    )
    try:
        return {"url": call.backend.materials.add_article_image(call.appid, received.file)}
    finally:
        call.backend.storage.blobs.discard(received.file.staged)


@api.handles(ep.MEDIA_UPLOAD_NEWS, writes=True)
async def uploadnews(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    rules = call.backend.article_rules(call.appid, mass_send=True)
    return call.backend.media.add_news(call.appid, prepare_articles(body.get("articles"), rules))


@api.handles(ep.MEDIA_UPLOAD_VIDEO, writes=True)
async def uploadvideo(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    title = body.get("title") or ""
    description = body.get("description") or ""
    if not isinstance(title, str) or not isinstance(description, str):
        raise SandboxError(47001, "title and description must be strings")
    return call.backend.media.add_mpvideo(
        call.appid, body.text("media_id", missing=41006), title, description
    )


# -- permanent material -----------------------------------------------------------------

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


@api.handles(ep.MATERIAL_ADD, writes=True)
async def add_material(call: ApiRequest) -> dict[str, Any]:
    received = await receive_upload(call, Target.PERMANENT, call.query("type"))
    try:
        video = None
        if received.type is MaterialType.VIDEO:
            # Clients send it as a form field or, some of them, in the query string.
            video = video_description(
                received.fields.get("description") or call.query("description")
            )
        return call.backend.materials.add_file(call.appid, received.type, received.file, video)
    finally:
        call.backend.storage.blobs.discard(received.file.staged)


@api.handles(ep.MATERIAL_GET)
async def get_material(call: ApiRequest) -> StoredFile | dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    return call.backend.materials.get(call.appid, media_id)


@api.handles(ep.MATERIAL_DELETE, writes=True)
async def del_material(call: ApiRequest) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    call.backend.materials.delete(call.appid, media_id)
    return OK


@api.handles(ep.MATERIAL_COUNT)
async def get_materialcount(call: ApiRequest) -> dict[str, Any]:
    return call.backend.materials.count(call.appid)


@api.handles(ep.MATERIAL_BATCHGET)
async def batchget_material(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    type_name = body.get("type")
    if not isinstance(type_name, str):
        raise SandboxError(40004, "'type' must be image, video, voice or news")
    return call.backend.materials.batchget(
        call.appid, type_name, body.integer("offset", default=0), body.integer("count")
    )


@api.handles(ep.MATERIAL_ADD_NEWS, writes=True)
async def add_news(call: ApiRequest) -> dict[str, Any]:
    call.backend.news.check_open()
    body = await call.json()
    return call.backend.news.add(
        call.appid, body.get("articles"), call.backend.article_rules(call.appid)
    )


@api.handles(ep.MATERIAL_UPDATE_NEWS, writes=True)
async def update_news(call: ApiRequest) -> dict[str, Any]:
    call.backend.news.check_open()
    body = await call.json()
    call.backend.news.update(
        call.appid,
        body.text("media_id", missing=41006),
        body.integer("index"),
        body.get("articles"),
        call.backend.article_rules(call.appid),
    )
    return OK


# -- the draft box ----------------------------------------------------------------------


@api.handles(ep.DRAFT_ADD, writes=True)
async def add_draft(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    rules = call.backend.article_rules(call.appid, draft=True)
    return call.backend.drafts.add(call.appid, body.get("articles"), rules)


@api.handles(ep.DRAFT_GET)
async def get_draft(call: ApiRequest) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    return call.backend.drafts.get(call.appid, media_id)


@api.handles(ep.DRAFT_DELETE, writes=True)
async def delete_draft(call: ApiRequest) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    call.backend.drafts.delete(call.appid, media_id)
    return OK


@api.handles(ep.DRAFT_UPDATE, writes=True)
async def update_draft(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    call.backend.drafts.update(
        call.appid,
        body.text("media_id", missing=41006),
        body.integer("index"),
        body.get("articles"),
        call.backend.article_rules(call.appid, draft=True),
    )
    return OK


@api.handles(ep.DRAFT_COUNT)
async def count_drafts(call: ApiRequest) -> dict[str, Any]:
    return call.backend.drafts.count(call.appid)


@api.handles(ep.DRAFT_BATCHGET)
async def batchget_drafts(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    return call.backend.drafts.batchget(
        call.appid,
        body.integer("offset", default=0),
        body.integer("count"),
        body.flag("no_content"),
    )


# -- publishing -------------------------------------------------------------------------


def _id(value: Any, name: str) -> str:
    """publish_id comes as a string or, from some clients, a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    raise SandboxError(40097 if value is None or value == "" else 47001, f"'{name}' is required")


def _ids_as_set(call: ApiRequest, reply: dict[str, Any]) -> dict[str, Any]:
    """The reply with ``publish_id`` and ``msg_data_id`` strings, as documented, or the
    numbers some real replies carry (the ``publish_id`` and ``msg_data_id`` settings)."""
    switches = call.backend.switches
    forms = (("publish_id", switches.publish_id), ("msg_data_id", switches.msg_data_id))
    for name, form in forms:
        if name in reply:
            reply = {**reply, name: int(reply[name]) if form == "number" else str(reply[name])}
    return reply


@api.handles(ep.PUBLISH_SUBMIT, writes=True)
async def submit(call: ApiRequest) -> dict[str, Any]:
    media_id = (await call.json()).text("media_id", missing=41006)
    return _ids_as_set(call, {**OK, **call.backend.publishing.submit(call.appid, media_id)})


@api.handles(ep.PUBLISH_GET)
async def publish_status(call: ApiRequest) -> dict[str, Any]:
    publish_id = _id((await call.json()).get("publish_id"), "publish_id")
    return _ids_as_set(call, call.backend.publishing.status(call.appid, publish_id))


@api.handles(ep.PUBLISH_DELETE, writes=True)
async def delete_published(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    article_id = _id(body.get("article_id"), "article_id")
    call.backend.publishing.delete(call.appid, article_id, body.integer("index", default=0))
    return OK


@api.handles(ep.PUBLISH_GET_ARTICLE)
async def get_published_article(call: ApiRequest) -> dict[str, Any]:
    article_id = _id((await call.json()).get("article_id"), "article_id")
    return call.backend.publishing.get_article(call.appid, article_id)


@api.handles(ep.PUBLISH_BATCHGET)
async def batchget_published(call: ApiRequest) -> dict[str, Any]:
    body = await call.json()
    return call.backend.publishing.batchget(
        call.appid,
        body.integer("offset", default=0),
        body.integer("count"),
        body.flag("no_content"),
    )
