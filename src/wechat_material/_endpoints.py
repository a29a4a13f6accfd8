"""Every WeChat endpoint this library calls, declared once.

The call flow reads this table to know how to send a call (method, path,
whether it carries an ``access_token``, where its arguments go), how to read
its reply (JSON, a file, or either, and the model of a successful JSON reply)
and whether sending it twice could create a duplicate. The call builders
(:mod:`._calls`) only check arguments and name the endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from wechat_material.errors import UnexpectedReplyError
from wechat_material.models import (
    ArticleImage,
    Draft,
    MaterialCount,
    MaterialItem,
    NewsItem,
    Page,
    PublishedItem,
    PublishedNews,
    PublishResult,
    QuotaInfo,
    Submission,
    UploadedMaterial,
    UploadedMedia,
)


class ReplyKind(Enum):
    """What a successful reply to an endpoint is."""

    JSON = "json"
    FILE = "file"
    FILE_OR_JSON = "file_or_json"  # get_material, media/get: decided by the body


class ArgsIn(Enum):
    """Where a call's arguments go."""

    QUERY = "query"
    JSON = "json"  # a JSON object body
    MULTIPART = "multipart"  # a file upload; the other arguments in the query


def _field(name: str, kind: type) -> Callable[[Endpoint, dict[str, Any]], Any]:
    """A reader of one required field of a reply (draft/add's media_id, draft/count's total)."""

    def read(endpoint: Endpoint, data: dict[str, Any]) -> Any:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, kind) or value == "":
            raise UnexpectedReplyError(f"{endpoint.path}: the reply has no {name}")
        return value

    return read


@dataclass(frozen=True)
class Endpoint:
    """One WeChat API endpoint.

    ``replay_safe`` is False where a second send after a lost reply could
    create a duplicate (an upload, a new draft, a publish) or change what the
    caller sees (a delete answering 40007 the second time, a clear_quota
    spending another of its 10 monthly uses). Such calls are retried only when
    the request surely never reached WeChat (the connection was refused or
    never made) or WeChat answered ``-1``.

    Assumption (docs/wire-contract.en.md §10): ``-1`` ("system error") means
    WeChat did *not* carry the call out, so even a call that is not replay-safe
    is retried after it, with backoff and within the retry policy's bound.
    WeChat's documentation says only "busy, retry later" and nothing of
    partial effects; should a ``-1`` ever follow a stored upload, the rule to
    change is in :func:`._flow.request_flow`. A cut reply, a read timeout or a
    gateway's HTTP 5xx prove nothing either way, so after those such calls
    are never resent.
    """

    name: str
    method: str
    path: str
    token: bool = True
    reply: ReplyKind = ReplyKind.JSON
    replay_safe: bool = True
    args: ArgsIn = ArgsIn.JSON
    # What a successful JSON reply is read into: a pydantic model, a reader
    # ``(endpoint, data)``, or None when it holds nothing but ``errcode`` 0.
    # A call whose result depends on its arguments brings its own parser.
    model: Any = None
    # Advice for an errcode that means something particular here (the same
    # code is a different mistake at another endpoint); it wins over the
    # code's own hint in wechat_material.errcodes.
    hints: Mapping[int, str] = field(default_factory=dict, hash=False, compare=False)


def _get(
    name: str,
    path: str,
    model: Any = None,
    *,
    token: bool = True,
    reply: ReplyKind = ReplyKind.JSON,
    hints: Mapping[int, str] | None = None,
) -> Endpoint:
    return Endpoint(name, "GET", path, token, reply, True, ArgsIn.QUERY, model, dict(hints or {}))


def _post(
    name: str,
    path: str,
    model: Any = None,
    *,
    token: bool = True,
    reply: ReplyKind = ReplyKind.JSON,
    replay_safe: bool = True,
    args: ArgsIn = ArgsIn.JSON,
    hints: Mapping[int, str] | None = None,
) -> Endpoint:
    return Endpoint(name, "POST", path, token, reply, replay_safe, args, model, dict(hints or {}))


def _post_once(
    name: str, path: str, model: Any = None, *, hints: Mapping[int, str] | None = None
) -> Endpoint:
    """A POST that must not be sent twice (it creates or deletes something)."""
    return _post(name, path, model, replay_safe=False, hints=hints)


def _upload(name: str, path: str, model: Any) -> Endpoint:
    """A file upload (multipart; its other arguments in the query), never sent twice."""
    return _post(name, path, model, replay_safe=False, args=ArgsIn.MULTIPART)


_FILE_OR_JSON = ReplyKind.FILE_OR_JSON

# What 40007 ("invalid media_id") means where it is answered.
_ARTICLE_IDS_HINT = (
    "an article's thumb_media_id (or an image in its content) is unknown, deleted or "
    "temporary: the cover must be a permanent image or thumb (add_material), not temporary "
    "media (media/upload)."
)
_NO_DRAFT = {40007: "no draft has this id (deleted, or already published?)."}

# Access token (获取 Access token, 获取稳定版接口调用凭据) and quota helpers.
GRANT_TYPE = "client_credential"  # the only grant_type both token endpoints take
TOKEN = _get("token", "/cgi-bin/token", token=False)
STABLE_TOKEN = _post("stable_token", "/cgi-bin/stable_token", token=False)
CLEAR_QUOTA = _post_once("clear_quota", "/cgi-bin/clear_quota")
GET_API_QUOTA = _post("get_api_quota", "/cgi-bin/openapi/quota/get", QuotaInfo)

# Temporary media (新增临时素材, 获取临时素材, 高清语音素材获取接口).
MEDIA_UPLOAD = _upload("upload_media", "/cgi-bin/media/upload", UploadedMedia)
MEDIA_GET = _get(
    "get_media",
    "/cgi-bin/media/get",
    reply=_FILE_OR_JSON,
    hints={
        40007: "the id is unknown or older than 3 days (temporary media expires); permanent "
        "material is read with get_material."
    },
)
MEDIA_GET_JSSDK = _get("get_jssdk_media", "/cgi-bin/media/get/jssdk", reply=ReplyKind.FILE)
MEDIA_UPLOAD_IMAGE = _upload("upload_image", "/cgi-bin/media/uploadimg", ArticleImage)
MEDIA_UPLOAD_NEWS = _post_once(
    "upload_news", "/cgi-bin/media/uploadnews", UploadedMedia, hints={40007: _ARTICLE_IDS_HINT}
)
MEDIA_UPLOAD_VIDEO = _post_once("upload_video", "/cgi-bin/media/uploadvideo", UploadedMedia)

# Permanent material (新增永久素材, 获取永久素材, 删除永久素材, 获取素材总数, 获取素材列表).
MATERIAL_ADD = _upload("add_material", "/cgi-bin/material/add_material", UploadedMaterial)
MATERIAL_GET = _post(
    "get_material",
    "/cgi-bin/material/get_material",
    reply=_FILE_OR_JSON,
    hints={
        40007: "the id is unknown, was deleted, or is temporary media (temporary ids are read "
        "with media/get, for 3 days)."
    },
)
MATERIAL_DELETE = _post_once(
    "del_material",
    "/cgi-bin/material/del_material",
    hints={
        40007: "the id is unknown or already deleted; temporary media cannot be deleted (it "
        "expires after 3 days)."
    },
)
MATERIAL_COUNT = _get("get_material_count", "/cgi-bin/material/get_materialcount", MaterialCount)
MATERIAL_BATCHGET = _post(
    "batch_get_material", "/cgi-bin/material/batchget_material", Page[MaterialItem]
)
MATERIAL_ADD_NEWS = _post_once(
    "add_news", "/cgi-bin/material/add_news", UploadedMaterial, hints={40007: _ARTICLE_IDS_HINT}
)
MATERIAL_UPDATE_NEWS = _post(
    "update_news",
    "/cgi-bin/material/update_news",
    hints={40007: "the id is unknown or is not a news material."},
)

# Draft box (草稿箱).
DRAFT_ADD = _post_once(
    "draft.add", "/cgi-bin/draft/add", _field("media_id", str), hints={40007: _ARTICLE_IDS_HINT}
)
DRAFT_GET = _post("draft.get", "/cgi-bin/draft/get", Draft, hints=_NO_DRAFT)
DRAFT_DELETE = _post_once("draft.delete", "/cgi-bin/draft/delete", hints=_NO_DRAFT)
DRAFT_UPDATE = _post(
    "draft.update",
    "/cgi-bin/draft/update",
    hints={40007: "the draft is unknown or deleted, or " + _ARTICLE_IDS_HINT},
)
DRAFT_COUNT = _get("draft.count", "/cgi-bin/draft/count", _field("total_count", int))
DRAFT_BATCHGET = _post("draft.batch_get", "/cgi-bin/draft/batchget", Page[NewsItem])

# Publishing (发布能力).
PUBLISH_SUBMIT = _post_once(
    "publish.submit",
    "/cgi-bin/freepublish/submit",
    Submission,
    hints={40007: "no draft has this id: publish the media_id that draft/add returned."},
)
PUBLISH_GET = _post("publish.get", "/cgi-bin/freepublish/get", PublishResult)
PUBLISH_DELETE = _post_once("publish.delete", "/cgi-bin/freepublish/delete")
PUBLISH_GET_ARTICLE = _post("publish.get_article", "/cgi-bin/freepublish/getarticle", PublishedNews)
PUBLISH_BATCHGET = _post("publish.batch_get", "/cgi-bin/freepublish/batchget", Page[PublishedItem])

# A video material's ``down_url`` or a temporary video's ``video_url``: a plain
# file on WeChat's CDN, fetched without a token. Its path is the whole URL.
VIDEO_FILE = _get("video_file", "", token=False, reply=ReplyKind.FILE)

ALL: tuple[Endpoint, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Endpoint))
"""Every endpoint above, in the order declared."""
