"""The WeChat API, one thin handler per endpoint of the SDK's table.

Each handler reads its arguments from the wire (query string, JSON body or
upload form), calls one operation of the backend
(:class:`~wechat_material.sandbox.state.backend.SandboxBackend` and its areas)
and returns what it answers. Sections follow the API's areas: access tokens
and quotas, temporary media, permanent material, the draft box, publishing.

A handler is registered against one of the SDK's
:class:`~wechat_material._endpoints.Endpoint` objects
(``@api.handles(ep.MATERIAL_ADD, writes=True)``), which gives the path, the
method and whether the call carries an ``access_token``. Around the handler,
the route checks the HTTP method (a POST-only endpoint answers GET with 43002;
GET endpoints also take POST, as WeChat does), admits the call (token, IP
whitelist, account status, quotas) and turns the handler's result into a
reply: a dict becomes JSON (its links made absolute URLs), a
:class:`~wechat_material.sandbox.state.blobs.StoredFile` a file reply, a
:class:`~wechat_material.sandbox.state.SandboxError` an error reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wechat_material import _endpoints as ep
from wechat_material._endpoints import Endpoint
from wechat_material.sandbox.http.body_caps import BODY_CAPS
from wechat_material.sandbox.http.wire import (
    ANY_METHOD,
    Body,
    MultipartUpload,
    backend_of,
    base_url,
    client_ip,
    error_reply,
    file_reply,
    json_label,
    json_reply,
    load_json,
    query_of,
    read_json,
    read_upload_form,
)
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import prepare_articles
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.blobs import StoredFile
from wechat_material.sandbox.state.config import API_PREFIX
from wechat_material.sandbox.state.uploads import NOT_JSON

T = TypeVar("T")
MEDIA_PART = "media"
BUFFER_PART = "buffer"


@dataclass
class ApiRequest:
    """One admitted API call, as a handler sees it."""

    request: Request
    backend: SandboxBackend
    appid: str
    body_cap: int
    """The most bytes this call's body may have (:mod:`~wechat_material.sandbox.http.body_caps`)."""

    @property
    def ip(self) -> str:
        return client_ip(self.request)

    def query(self, name: str) -> str | None:
        return query_of(self.request.scope).get(name)

    async def json(self) -> Body:
        return await read_json(self.request, self.body_cap)

    async def form(self) -> MultipartUpload:
        return await read_upload_form(self.request, self.body_cap)

    async def in_worker(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in a worker thread: a backend operation that reads or copies
        a file (the event loop serves other calls meanwhile)."""
        return await anyio.to_thread.run_sync(work, *args)


Handler = Callable[[ApiRequest], Awaitable[dict[str, Any] | StoredFile]]


class EndpointTable:
    """The API routes, each registered once against the SDK's endpoint it serves."""

    def __init__(self) -> None:
        self.served: dict[Endpoint, Route] = {}

    def handles(self, endpoint: Endpoint, *, writes: bool = False) -> Callable[[Handler], Handler]:
        """Register the decorated handler as ``endpoint``.

        ``writes=True`` marks an endpoint that changes content (uploads, add, update,
        delete, submit): a limited account is refused those with 50002.
        """

        def register(handler: Handler) -> Handler:
            if endpoint in self.served:
                raise ValueError(f"{endpoint.path} is handled twice")
            self.served[endpoint] = api_route(endpoint, handler, writes=writes)
            return handler

        return register

    @property
    def routes(self) -> list[Route]:
        return list(self.served.values())


def api_route(endpoint: Endpoint, handler: Handler, *, writes: bool) -> Route:
    """A route for ``endpoint`` running ``handler``; calls without a token (``/token``,
    ``/stable_token``) are admitted by the handler itself."""
    path, post_only = endpoint.path, endpoint.method == "POST"
    cap = BODY_CAPS[endpoint].max_bytes

    async def run(request: Request) -> Response:
        backend = backend_of(request)
        try:
            if post_only and request.method != "POST":
                raise SandboxError(43002)
            appid = ""
            if endpoint.token:
                appid = backend.begin_call(
                    query_of(request.scope).get("access_token"),
                    path,
                    client_ip(request),
                    writes=writes,
                )
            result = await handler(
                ApiRequest(request, backend, appid, min(cap, backend.config.max_request_bytes))
            )
            if isinstance(result, StoredFile):
                return file_reply(backend, result)
        except SandboxError as error:
            return error_reply(backend, error, path)
        base = lambda: base_url(request, backend)  # noqa: E731 - asked once, if a link is sent
        label = json_label(backend.switches.json_content_type, path, error=False)
        return json_reply(result, label, base=base)

    # Every method reaches the handler, so a wrong one gets WeChat's answer, not a 405.
    return Route(path, run, methods=list(ANY_METHOD), name=endpoint.name)


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


async def _media_id_in(call: ApiRequest) -> str:
    """The ``media_id`` of a JSON body: 41006 when it is missing."""
    return (await call.json()).text("media_id", missing=41006)


def _media_id(call: ApiRequest) -> str:
    media_id = call.query("media_id")
    if not media_id:
        raise SandboxError(41006)
    return media_id


@api.handles(ep.MEDIA_UPLOAD, writes=True)
async def upload_media(call: ApiRequest) -> dict[str, Any]:
    form = await call.form()
    try:
        upload = form.upload_in((MEDIA_PART,))
        return await call.in_worker(
            call.backend.upload_media, call.appid, call.query("type"), upload
        )
    finally:
        await form.close()


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
    form = await call.form()
    try:
        upload = form.upload_in((MEDIA_PART, BUFFER_PART))
        return {"url": await call.in_worker(call.backend.upload_article_image, call.appid, upload)}
    finally:
        await form.close()


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


def _described(raw: str | None) -> object:
    """A permanent video's ``description`` as sent: None when absent, else its JSON
    (:data:`~wechat_material.sandbox.state.uploads.NOT_JSON` when it is not JSON)."""
    if not raw:
        return None
    try:
        return load_json(raw)
    except ValueError:
        return NOT_JSON


@api.handles(ep.MATERIAL_ADD, writes=True)
async def add_material(call: ApiRequest) -> dict[str, Any]:
    form = await call.form()
    try:
        # Clients send the description as a form field or, some of them, in the query.
        described = _described(form.fields.get("description") or call.query("description"))
        return await call.in_worker(
            call.backend.add_material,
            call.appid,
            call.query("type"),
            form.upload_in((MEDIA_PART,)),
            described,
        )
    finally:
        await form.close()


@api.handles(ep.MATERIAL_GET)
async def get_material(call: ApiRequest) -> StoredFile | dict[str, Any]:
    return call.backend.materials.get(call.appid, await _media_id_in(call))


@api.handles(ep.MATERIAL_DELETE, writes=True)
async def del_material(call: ApiRequest) -> dict[str, Any]:
    call.backend.materials.delete(call.appid, await _media_id_in(call))
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
    return call.backend.drafts.get(call.appid, await _media_id_in(call))


@api.handles(ep.DRAFT_DELETE, writes=True)
async def delete_draft(call: ApiRequest) -> dict[str, Any]:
    call.backend.drafts.delete(call.appid, await _media_id_in(call))
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
    media_id = await _media_id_in(call)
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
