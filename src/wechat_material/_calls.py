"""Calls: what one API call is, and the builders that make one from the user's arguments.

A :class:`Call` is an immutable description: the endpoint (which says where
the arguments go and what the reply is read into, see :mod:`._endpoints`),
the arguments, and an upload's source. Nothing is opened or sent here; the
flow (:mod:`._flow`) turns a call into requests, the drivers do the I/O.

Each builder checks its arguments before anything is sent and is a line or
two; both clients' methods are one-liners over them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Generic, TypeVar

import pydantic
from pydantic import SecretStr

from wechat_material import _endpoints as ep
from wechat_material._config import TokenMode
from wechat_material._files import safe_filename
from wechat_material._replies import FileReply, Reply
from wechat_material.checks import article_problem, articles_problem, video_description_problem
from wechat_material.errors import ArticleValidationError, UnexpectedReplyError, ValidationError
from wechat_material.limits import (
    LIST_KINDS,
    PAGE_MAX,
    PAGE_MIN,
    MaterialType,
    MediaFormat,
    Target,
)
from wechat_material.media_file import MediaFile
from wechat_material.mediainfo import detect_stream_format
from wechat_material.models import (
    Article,
    ArticleImage,
    Draft,
    MaterialCount,
    MaterialItem,
    NewsItem,
    NewsMaterial,
    Page,
    PublishedItem,
    PublishedNews,
    PublishResult,
    QuotaInfo,
    Submission,
    UploadedMaterial,
    UploadedMedia,
    VideoLink,
    VideoMaterial,
)
from wechat_material.tokens.base import TokenGrant
from wechat_material.uploads import FileInput, UploadForm

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call: endpoint, arguments, and how its reply becomes a result.

    ``args`` go where ``endpoint.args`` says (the query, a JSON body, or the
    query of an upload). ``parse`` replaces the endpoint's reply model where
    the result depends on the arguments (a file named after its media_id).
    """

    endpoint: ep.Endpoint
    # Not in the repr: the token call carries the app secret here.
    args: Mapping[str, Any] = field(default_factory=dict, repr=False)
    upload: UploadForm | None = None
    parse: Callable[[Reply], T] | None = field(default=None, repr=False)
    # Where a file reply is written (memory for get_*, a temporary file for downloads).
    open_file: Callable[[], BinaryIO] | None = field(default=None, repr=False)
    url: str | None = None  # an absolute URL instead of base_url + endpoint.path

    def result(self, reply: Reply) -> T:
        """The typed result of a reply, or :class:`UnexpectedReplyError` if it does not fit."""
        try:
            result: T = self._read(reply)
        except pydantic.ValidationError as exc:
            # Only locations and reasons: the input itself may hold a token.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'reply'}: {err['msg']}"
                for err in exc.errors()
            )
            raise UnexpectedReplyError(
                f"{self.endpoint.path or self.endpoint.name}: the reply does not have the "
                f"expected shape ({problems})"
            ) from None
        return result

    def _read(self, reply: Reply) -> Any:
        if self.parse is not None:
            return self.parse(reply)
        model = self.endpoint.model
        if model is None:  # only {"errcode": 0, "errmsg": "ok"}
            return None
        data = json_of(reply, self.endpoint)
        if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
            return model.model_validate(data)
        return model(self.endpoint, data)


def json_of(reply: Reply, endpoint: ep.Endpoint) -> dict[str, Any]:
    """The JSON object of a reply; a file where JSON belongs is an unexpected reply."""
    if isinstance(reply, FileReply):
        raise UnexpectedReplyError(f"{endpoint.path}: a file arrived where JSON was expected")
    return reply.data


def raw_reply(reply: Reply) -> Reply:
    return reply


# Turning a file reply into a MediaFile, with a sensible name.
def file_format(reply: FileReply) -> MediaFormat | None:
    """The format of a file reply, sniffed from its first bytes (file position kept)."""
    return detect_stream_format(reply.file)


def reply_filename(reply: FileReply, media_id: str) -> str:
    """The server's file name, or ``<media_id>.<ext>`` from the sniffed format."""
    if reply.filename:
        return reply.filename
    fmt = file_format(reply)
    stem = safe_filename(media_id) or "media"
    return f"{stem}.{fmt.value}" if fmt else stem


def media_file(reply: FileReply, media_id: str) -> MediaFile:
    """A file reply read into memory."""
    fmt = file_format(reply)
    content_type = reply.content_type or (fmt.content_type if fmt else "application/octet-stream")
    # BytesIO.getvalue() hands over its buffer without copying it (CPython),
    # where read() copies: a 10 MB file would briefly need 20 MB.
    file = reply.file
    content = file.getvalue() if isinstance(file, io.BytesIO) else file.read()
    return MediaFile(
        filename=reply_filename(reply, media_id), content_type=content_type, content=content
    )


# Checks on call arguments, done before anything is sent.
ArticleInput = Article | Mapping[str, Any]
"""An article as a model or as the JSON object WeChat takes."""

# Fields that only appear in replies; sending a read article back must not echo them.
_READ_ONLY_FIELDS = frozenset({"url", "thumb_url", "is_deleted"})


def material_type(value: MaterialType | str, allowed: Collection[MaterialType]) -> MaterialType:
    """``value`` as a :class:`MaterialType` this call accepts, or a clear error."""
    choices = ", ".join(t.value for t in MaterialType if t in allowed)
    try:
        kind = MaterialType(value)
    except ValueError:
        raise ValidationError(f"type must be one of {choices}, not {value!r}") from None
    if kind not in allowed:
        raise ValidationError(f"type must be one of {choices} here, not {kind.value!r}")
    return kind


def identifier(value: str, name: str = "media_id") -> str:
    """A non-empty id (``media_id``, ``publish_id``, ``article_id``)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string, not {value!r}")
    return value


def page(offset: int, count: int) -> dict[str, int]:
    """``offset``/``count`` of one list page: WeChat serves 1 to 20 items a call."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"offset must be a whole number, 0 or more, not {offset!r}")
    if isinstance(count, bool) or not isinstance(count, int) or not PAGE_MIN <= count <= PAGE_MAX:
        raise ValidationError(f"count must be {PAGE_MIN} to {PAGE_MAX}, not {count!r}")
    return {"offset": offset, "count": count}


def index(value: int, *, first: int = 0, name: str = "index") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < first:
        raise ValidationError(f"{name} must be a whole number, {first} or more, not {value!r}")
    return value


def article_json(article: ArticleInput) -> dict[str, Any]:
    """The JSON object of one article as WeChat takes it."""
    if isinstance(article, Article):
        data = article.model_dump(mode="json", exclude_none=True, by_alias=True)
    elif isinstance(article, Mapping):
        data = {str(k): v for k, v in article.items() if v is not None}
    else:
        raise ArticleValidationError(
            f"an article must be an Article or a dict, not {type(article).__name__}"
        )
    return {k: v for k, v in data.items() if k not in _READ_ONLY_FIELDS}


def articles_json(articles: Sequence[ArticleInput], *, draft: bool = False) -> list[dict[str, Any]]:
    """The articles of a news/draft as JSON, checked against WeChat's rules (§5).

    ``draft``: they go to the draft box, where picture articles (newspic) exist.
    """
    if isinstance(articles, Article | Mapping):
        articles = [articles]  # one article given on its own
    payload = [article_json(a) for a in articles]
    _raise_for(articles_problem(payload, draft=draft))
    return payload


def one_article_json(
    article: ArticleInput, position: int, *, draft: bool = False
) -> dict[str, Any]:
    """One article for an update at ``position`` (0-based), checked."""
    payload = article_json(article)
    _raise_for(article_problem(payload, position, draft=draft))
    return payload


def _raise_for(problem: Any) -> None:
    if problem is not None:
        raise ArticleValidationError(problem.message, field=problem.field, index=problem.index)


# The account: access tokens and API quotas.
def _grant(endpoint: ep.Endpoint) -> Callable[[Reply], TokenGrant]:
    def parse(reply: Reply) -> TokenGrant:
        data = json_of(reply, endpoint)
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token:
            raise UnexpectedReplyError(f"{endpoint.path}: the reply has no access_token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | str):
            raise UnexpectedReplyError(f"{endpoint.path}: the reply has no expires_in")
        try:
            seconds = int(expires_in)
        except ValueError:
            raise UnexpectedReplyError(f"{endpoint.path}: expires_in is not a number") from None
        return TokenGrant(access_token=token, expires_in=seconds)

    return parse


def fetch_token(
    appid: str, secret: SecretStr, mode: TokenMode, force_refresh: bool = False
) -> Call[TokenGrant]:
    """A new token from ``/cgi-bin/token`` or (``mode="stable"``) ``/cgi-bin/stable_token``."""
    grant = {"grant_type": ep.GRANT_TYPE, "appid": appid, "secret": secret.get_secret_value()}
    if mode == "token":
        return Call(ep.TOKEN, grant, parse=_grant(ep.TOKEN))
    if mode == "stable":
        body = {**grant, "force_refresh": force_refresh}
        return Call(ep.STABLE_TOKEN, body, parse=_grant(ep.STABLE_TOKEN))
    raise ValidationError(f"token_mode must be 'token' or 'stable', not {mode!r}")


def clear_quota(appid: str) -> Call[None]:
    return Call(ep.CLEAR_QUOTA, {"appid": appid})


def get_api_quota(cgi_path: str) -> Call[QuotaInfo]:
    identifier(cgi_path, "cgi_path")
    if not cgi_path.startswith("/"):
        raise ValidationError(
            f"cgi_path must start with '/', e.g. {ep.MATERIAL_ADD.path!r}, not {cgi_path!r}"
        )
    return Call(ep.GET_API_QUOTA, {"cgi_path": cgi_path})


# Material (素材管理): temporary media and permanent material.
M = MaterialType
FILE_TYPES = frozenset({M.IMAGE, M.VOICE, M.VIDEO, M.THUMB})
LIST_TYPES = frozenset(M(kind) for kind in LIST_KINDS if kind in set(M))


def upload_media(
    type: MaterialType | str, file: FileInput, filename: str | None = None
) -> Call[UploadedMedia]:
    kind = material_type(type, FILE_TYPES)
    form = UploadForm.of(file, filename=filename, target=Target.TEMPORARY, type=kind)
    return Call(ep.MEDIA_UPLOAD, {"type": kind.value}, upload=form)


def _media_or_link(media_id: str) -> Callable[[Reply], MediaFile | VideoLink]:
    def parse(reply: Reply) -> MediaFile | VideoLink:
        if isinstance(reply, FileReply):
            return media_file(reply, media_id)
        return VideoLink.model_validate(reply.data)

    return parse


def get_media(media_id: str) -> Call[MediaFile | VideoLink]:
    args = {"media_id": identifier(media_id)}
    return Call(ep.MEDIA_GET, args, parse=_media_or_link(media_id), open_file=io.BytesIO)


def get_jssdk_media(media_id: str) -> Call[MediaFile]:
    args = {"media_id": identifier(media_id)}

    def parse(reply: Reply) -> MediaFile:
        if not isinstance(reply, FileReply):  # pragma: no cover - read_reply refuses JSON
            raise UnexpectedReplyError(f"{ep.MEDIA_GET_JSSDK.path}: no file in the reply")
        return media_file(reply, media_id)

    return Call(ep.MEDIA_GET_JSSDK, args, parse=parse, open_file=io.BytesIO)


def upload_image(file: FileInput, filename: str | None = None) -> Call[ArticleImage]:
    form = UploadForm.of(file, filename=filename, target=Target.ARTICLE_IMAGE, type=M.IMAGE)
    return Call(ep.MEDIA_UPLOAD_IMAGE, upload=form)


def upload_news(articles: Sequence[ArticleInput]) -> Call[UploadedMedia]:
    return Call(ep.MEDIA_UPLOAD_NEWS, {"articles": articles_json(articles)})


def upload_video(media_id: str, title: str, description: str) -> Call[UploadedMedia]:
    body = {"media_id": identifier(media_id), "title": title, "description": description}
    return Call(ep.MEDIA_UPLOAD_VIDEO, body)


def video_description(title: str | None, introduction: str | None) -> str:
    """The ``description`` form field of a video material: JSON text, UTF-8 as is."""
    problem = video_description_problem(title, introduction)
    if problem is not None:
        raise ValidationError(
            f"{problem.message}: pass title=... and introduction=... "
            "(WeChat shows them with the video)"
        )
    return json.dumps({"title": title, "introduction": introduction}, ensure_ascii=False)


def add_material(
    type: MaterialType | str,
    file: FileInput,
    filename: str | None = None,
    *,
    title: str | None = None,
    introduction: str | None = None,
) -> Call[UploadedMaterial]:
    kind = material_type(type, FILE_TYPES)
    fields = {"description": video_description(title, introduction)} if kind is M.VIDEO else {}
    form = UploadForm.of(file, filename=filename, target=Target.PERMANENT, type=kind, fields=fields)
    return Call(ep.MATERIAL_ADD, {"type": kind.value}, upload=form)


def add_news(articles: Sequence[ArticleInput]) -> Call[UploadedMaterial]:
    return Call(ep.MATERIAL_ADD_NEWS, {"articles": articles_json(articles)})


def update_news(media_id: str, index: int, article: ArticleInput) -> Call[None]:
    return Call(ep.MATERIAL_UPDATE_NEWS, _one_article(media_id, index, article))


def _material(media_id: str) -> Callable[[Reply], NewsMaterial | VideoMaterial | MediaFile]:
    def parse(reply: Reply) -> NewsMaterial | VideoMaterial | MediaFile:
        if isinstance(reply, FileReply):
            return media_file(reply, media_id)
        if "news_item" in reply.data:
            return NewsMaterial.model_validate(reply.data)
        if "down_url" in reply.data:
            return VideoMaterial.model_validate(reply.data)
        raise UnexpectedReplyError(
            f"{ep.MATERIAL_GET.path}: the reply is neither a file, a news nor a video "
            f"(fields: {', '.join(sorted(reply.data)) or 'none'})"
        )

    return parse


def get_material(media_id: str) -> Call[NewsMaterial | VideoMaterial | MediaFile]:
    args = {"media_id": identifier(media_id)}
    return Call(ep.MATERIAL_GET, args, parse=_material(media_id), open_file=io.BytesIO)


def fetch_file(
    endpoint: ep.Endpoint, media_id: str, open_file: Callable[[], BinaryIO]
) -> Call[Reply]:
    """A get_material / media/get call whose reply is kept raw (for downloads)."""
    args = {"media_id": identifier(media_id)}
    return Call(endpoint, args, parse=raw_reply, open_file=open_file)


def video_file(url: str, open_file: Callable[[], BinaryIO]) -> Call[Reply]:
    """The file behind a video's ``down_url`` / ``video_url`` (no token on that URL)."""
    return Call(ep.VIDEO_FILE, parse=raw_reply, url=url, open_file=open_file)


def del_material(media_id: str) -> Call[None]:
    return Call(ep.MATERIAL_DELETE, {"media_id": identifier(media_id)})


def get_material_count() -> Call[MaterialCount]:
    return Call(ep.MATERIAL_COUNT)


def batch_get_material(
    type: MaterialType | str, offset: int = 0, count: int = 20
) -> Call[Page[MaterialItem] | Page[NewsItem]]:
    kind = material_type(type, LIST_TYPES)
    body = {"type": kind.value, **page(offset, count)}
    if kind is M.NEWS:
        return Call(ep.MATERIAL_BATCHGET, body, parse=_page_of_news)
    return Call(ep.MATERIAL_BATCHGET, body)


def _page_of_news(reply: Reply) -> Page[NewsItem]:
    return Page[NewsItem].model_validate(json_of(reply, ep.MATERIAL_BATCHGET))


def list_page(kind: str, offset: int = 0, count: int = 20) -> Call[dict[str, Any]]:
    """One page of a list, its JSON object kept as WeChat sent it (articles with content)."""
    if kind not in LIST_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(LIST_KINDS)}, not {kind!r}")
    window = page(offset, count)
    if kind == "draft":
        return Call(ep.DRAFT_BATCHGET, {**window, "no_content": 0}, parse=_json(ep.DRAFT_BATCHGET))
    if kind == "published":
        endpoint = ep.PUBLISH_BATCHGET
        return Call(endpoint, {**window, "no_content": 0}, parse=_json(endpoint))
    body = {"type": kind, **window}
    return Call(ep.MATERIAL_BATCHGET, body, parse=_json(ep.MATERIAL_BATCHGET))


def _json(endpoint: ep.Endpoint) -> Callable[[Reply], dict[str, Any]]:
    return lambda reply: json_of(reply, endpoint)


def material_page_call(
    type: MaterialType | str,
) -> Callable[[int, int], Call[Page[MaterialItem] | Page[NewsItem]]]:
    """Pages of one type for :func:`._flow.pages` (the type checked now, not per page)."""
    kind = material_type(type, LIST_TYPES)
    return lambda offset, count: batch_get_material(kind, offset, count)


# The draft box (草稿箱), the successor of add_news/update_news.
def draft_add(articles: Sequence[ArticleInput]) -> Call[str]:
    return Call(ep.DRAFT_ADD, {"articles": articles_json(articles, draft=True)})


def draft_get(media_id: str) -> Call[Draft]:
    return Call(ep.DRAFT_GET, {"media_id": identifier(media_id)})


def draft_delete(media_id: str) -> Call[None]:
    return Call(ep.DRAFT_DELETE, {"media_id": identifier(media_id)})


def draft_update(media_id: str, index: int, article: ArticleInput) -> Call[None]:
    return Call(ep.DRAFT_UPDATE, _one_article(media_id, index, article, draft=True))


def draft_count() -> Call[int]:
    return Call(ep.DRAFT_COUNT)


def draft_batch_get(
    offset: int = 0, count: int = 20, no_content: bool = False
) -> Call[Page[NewsItem]]:
    return Call(ep.DRAFT_BATCHGET, _listing(offset, count, no_content))


def draft_page_call(no_content: bool) -> Callable[[int, int], Call[Page[NewsItem]]]:
    return lambda offset, count: draft_batch_get(offset, count, no_content)


def _listing(offset: int, count: int, no_content: bool) -> dict[str, Any]:
    """The arguments of a draft or publish list page; ``no_content`` leaves out the HTML."""
    return {**page(offset, count), "no_content": int(bool(no_content))}


def _one_article(
    media_id: str, index_: int, article: ArticleInput, *, draft: bool = False
) -> dict[str, Any]:
    identifier(media_id)
    index(index_)
    articles = one_article_json(article, index_, draft=draft)
    return {"media_id": media_id, "index": index_, "articles": articles}


# Publishing (发布能力): submit a draft, follow it, list and delete posts.
def publish_submit(media_id: str) -> Call[Submission]:
    return Call(ep.PUBLISH_SUBMIT, {"media_id": identifier(media_id)})


def publish_get(publish_id: str) -> Call[PublishResult]:
    return Call(ep.PUBLISH_GET, {"publish_id": identifier(publish_id, "publish_id")})


def publish_delete(article_id: str, index_: int = 0) -> Call[None]:
    identifier(article_id, "article_id")
    index(index_, name="index (1-based; 0 deletes every article)")
    return Call(ep.PUBLISH_DELETE, {"article_id": article_id, "index": index_})


def publish_get_article(article_id: str) -> Call[PublishedNews]:
    return Call(ep.PUBLISH_GET_ARTICLE, {"article_id": identifier(article_id, "article_id")})


def publish_batch_get(
    offset: int = 0, count: int = 20, no_content: bool = False
) -> Call[Page[PublishedItem]]:
    return Call(ep.PUBLISH_BATCHGET, _listing(offset, count, no_content))


def publish_page_call(no_content: bool) -> Callable[[int, int], Call[Page[PublishedItem]]]:
    return lambda offset, count: publish_batch_get(offset, count, no_content)
