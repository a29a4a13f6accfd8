"""Calls of the material API (素材管理): temporary media and permanent material."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from wechat_material import _endpoints as ep
from wechat_material._call import Call, ignore_reply, model_parser, raw_reply
from wechat_material._calls import args
from wechat_material._calls.args import ArticleInput
from wechat_material._calls.files import media_file
from wechat_material._reply import FileReply, Reply
from wechat_material.checks import video_description_problem
from wechat_material.errors import UnexpectedReplyError, ValidationError
from wechat_material.limits import MaterialType, Target
from wechat_material.media_file import MediaFile
from wechat_material.models import (
    ArticleImage,
    MaterialCount,
    MaterialItem,
    NewsItem,
    NewsMaterial,
    Page,
    UploadedMaterial,
    UploadedMedia,
    VideoLink,
    VideoMaterial,
)
from wechat_material.uploads import FileInput, UploadForm, prepare_upload

T = MaterialType
FILE_TYPES = frozenset({T.IMAGE, T.VOICE, T.VIDEO, T.THUMB})
LIST_TYPES = frozenset({T.IMAGE, T.VOICE, T.VIDEO, T.NEWS})


def _upload(
    target: Target,
    kind: MaterialType,
    file: FileInput,
    filename: str | None,
    fields: dict[str, str] | None = None,
) -> UploadForm:
    return UploadForm(prepare_upload(file, filename=filename, target=target, type=kind), fields)


def upload_media(
    type: MaterialType | str, file: FileInput, filename: str | None = None
) -> Call[UploadedMedia]:
    kind = args.material_type(type, FILE_TYPES)
    form = _upload(Target.TEMPORARY, kind, file, filename)
    return Call(
        ep.MEDIA_UPLOAD,
        model_parser(UploadedMedia, ep.MEDIA_UPLOAD),
        query={"type": kind.value},
        upload=form,
    )


def _media_or_link(media_id: str) -> Callable[[Reply], MediaFile | VideoLink]:
    def parse(reply: Reply) -> MediaFile | VideoLink:
        if isinstance(reply, FileReply):
            return media_file(reply, media_id)
        return VideoLink.model_validate(reply.data)

    return parse


def get_media(media_id: str) -> Call[MediaFile | VideoLink]:
    args.identifier(media_id)
    return Call(
        ep.MEDIA_GET,
        _media_or_link(media_id),
        query={"media_id": media_id},
        open_file=io.BytesIO,
    )


def get_jssdk_media(media_id: str) -> Call[MediaFile]:
    args.identifier(media_id)

    def parse(reply: Reply) -> MediaFile:
        if not isinstance(reply, FileReply):  # pragma: no cover - read_reply refuses JSON
            raise UnexpectedReplyError(f"{ep.MEDIA_GET_JSSDK.path}: no file in the reply")
        return media_file(reply, media_id)

    return Call(ep.MEDIA_GET_JSSDK, parse, query={"media_id": media_id}, open_file=io.BytesIO)


def upload_image(file: FileInput, filename: str | None = None) -> Call[ArticleImage]:
    form = _upload(Target.ARTICLE_IMAGE, T.IMAGE, file, filename)
    return Call(
        ep.MEDIA_UPLOAD_IMAGE, model_parser(ArticleImage, ep.MEDIA_UPLOAD_IMAGE), upload=form
    )


def upload_news(articles: Sequence[ArticleInput]) -> Call[UploadedMedia]:
    body = {"articles": args.articles_json(articles)}
    return Call(ep.MEDIA_UPLOAD_NEWS, model_parser(UploadedMedia, ep.MEDIA_UPLOAD_NEWS), json=body)


def upload_video(media_id: str, title: str, description: str) -> Call[UploadedMedia]:
    args.identifier(media_id)
    body = {"media_id": media_id, "title": title, "description": description}
    return Call(
        ep.MEDIA_UPLOAD_VIDEO, model_parser(UploadedMedia, ep.MEDIA_UPLOAD_VIDEO), json=body
    )


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
    kind = args.material_type(type, FILE_TYPES)
    fields = None
    if kind is T.VIDEO:
        fields = {"description": video_description(title, introduction)}
    form = _upload(Target.PERMANENT, kind, file, filename, fields)
    return Call(
        ep.MATERIAL_ADD,
        model_parser(UploadedMaterial, ep.MATERIAL_ADD),
        query={"type": kind.value},
        upload=form,
    )


def add_news(articles: Sequence[ArticleInput]) -> Call[UploadedMaterial]:
    body = {"articles": args.articles_json(articles)}
    return Call(
        ep.MATERIAL_ADD_NEWS, model_parser(UploadedMaterial, ep.MATERIAL_ADD_NEWS), json=body
    )


def update_news(media_id: str, index: int, article: ArticleInput) -> Call[None]:
    args.identifier(media_id)
    args.index(index)
    body = {
        "media_id": media_id,
        "index": index,
        "articles": args.one_article_json(article, index),
    }
    return Call(ep.MATERIAL_UPDATE_NEWS, ignore_reply, json=body)


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
    args.identifier(media_id)
    return Call(
        ep.MATERIAL_GET, _material(media_id), json={"media_id": media_id}, open_file=io.BytesIO
    )


def fetch_file(
    endpoint: ep.Endpoint, media_id: str, open_file: Callable[[], BinaryIO]
) -> Call[Reply]:
    """A get_material / media/get call whose reply is kept raw (for downloads)."""
    args.identifier(media_id)
    if endpoint is ep.MATERIAL_GET:
        return Call(endpoint, raw_reply, json={"media_id": media_id}, open_file=open_file)
    return Call(endpoint, raw_reply, query={"media_id": media_id}, open_file=open_file)


def video_file(url: str, open_file: Callable[[], BinaryIO]) -> Call[Reply]:
    """The file behind a video's ``down_url`` / ``video_url`` (no token on that URL)."""
    return Call(ep.VIDEO_FILE, raw_reply, url=url, open_file=open_file)


def del_material(media_id: str) -> Call[None]:
    args.identifier(media_id)
    return Call(ep.MATERIAL_DELETE, ignore_reply, json={"media_id": media_id})


def get_material_count() -> Call[MaterialCount]:
    return Call(ep.MATERIAL_COUNT, model_parser(MaterialCount, ep.MATERIAL_COUNT))


def batch_get_material(
    type: MaterialType | str, offset: int = 0, count: int = 20
) -> Call[Page[MaterialItem] | Page[NewsItem]]:
    kind = args.material_type(type, LIST_TYPES)
    body: dict[str, Any] = {"type": kind.value, **args.page(offset, count)}
    parse: Callable[[Reply], Page[MaterialItem] | Page[NewsItem]]
    if kind is T.NEWS:
        parse = model_parser(Page[NewsItem], ep.MATERIAL_BATCHGET)
    else:
        parse = model_parser(Page[MaterialItem], ep.MATERIAL_BATCHGET)
    return Call(ep.MATERIAL_BATCHGET, parse, json=body)


def material_page_call(type: MaterialType | str) -> Callable[[int, int], Call[Any]]:
    """Pages of one type for :func:`._paging.pages` (the type checked now, not per page)."""
    kind = args.material_type(type, LIST_TYPES)
    return lambda offset, count: batch_get_material(kind, offset, count)
