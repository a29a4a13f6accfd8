"""Typed results of the material, draft and publishing APIs.

Every model keeps fields WeChat adds in the future (``extra="allow"``) and
ignores ``errcode: 0`` / ``errmsg: "ok"`` on success. Unix timestamps become
timezone-aware ``datetime`` values (UTC).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from wechat_material.limits import TEMPORARY_MEDIA_LIFETIME

# Re-exported so that ``from wechat_material.models import MediaFile`` works.
from wechat_material.media_file import MediaFile

__all__ = [
    "Article",
    "ArticleImage",
    "Draft",
    "ImageInfo",
    "ImageRef",
    "MaterialCount",
    "MaterialItem",
    "MediaFile",
    "NewsContent",
    "NewsItem",
    "NewsMaterial",
    "Page",
    "PublishResult",
    "PublishStatus",
    "PublishedArticleLink",
    "PublishedItem",
    "PublishedNews",
    "Quota",
    "QuotaInfo",
    "RateLimit",
    "Submission",
    "UploadedMaterial",
    "UploadedMedia",
    "VideoLink",
    "VideoMaterial",
    "WeChatModel",
    "publish_status_name",
]


class WeChatModel(BaseModel):
    """Base of every reply model: tolerant of new fields and of ids sent as numbers."""

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, coerce_numbers_to_str=True, defer_build=True
    )


def _null_as_empty(value: Any) -> Any:
    # WeChat sends ``"item": null`` for an empty list at times.
    return [] if value is None else value


NullableList = BeforeValidator(_null_as_empty)


def _thumb_id_as_media_id(data: Any) -> Any:
    # A thumb upload answers ``thumb_media_id`` where every other type says ``media_id``.
    if isinstance(data, dict) and "media_id" not in data and "thumb_media_id" in data:
        return {**data, "media_id": data["thumb_media_id"]}
    return data


class UploadedMedia(WeChatModel):
    """Temporary media (media/upload, uploadnews, uploadvideo): usable for 3 days."""

    type: str
    media_id: str
    created_at: datetime

    _thumb_quirk = model_validator(mode="before")(_thumb_id_as_media_id)

    @property
    def expires_at(self) -> datetime:
        """When WeChat forgets this media (3 days after ``created_at``)."""
        return self.created_at + timedelta(seconds=TEMPORARY_MEDIA_LIFETIME)


class UploadedMaterial(WeChatModel):
    """Permanent material (material/add_material); ``url`` is set for images only."""

    media_id: str
    url: str | None = None

    _thumb_quirk = model_validator(mode="before")(_thumb_id_as_media_id)


class ArticleImage(WeChatModel):
    """An image for article HTML (media/uploadimg): use ``url`` in ``<img src>``."""

    url: str


class MaterialCount(WeChatModel):
    """How much permanent material the account holds, by type."""

    voice_count: int = 0
    video_count: int = 0
    image_count: int = 0
    news_count: int = 0

    def by_type(self) -> dict[str, int]:
        """The counts keyed by material type, e.g. ``{"image": 3, "voice": 0, ...}``."""
        return {
            "image": self.image_count,
            "voice": self.voice_count,
            "video": self.video_count,
            "news": self.news_count,
        }


class ImageRef(WeChatModel):
    image_media_id: str


class ImageInfo(WeChatModel):
    """The pictures of a ``newspic`` (image message) article."""

    image_list: Annotated[list[ImageRef], NullableList] = Field(default_factory=list)


class Article(WeChatModel):
    """One article of a news material, a draft or a published post.

    To send: ``title``, ``thumb_media_id`` (a permanent image/thumb id) and
    ``content`` (HTML; images must be ``upload_image`` URLs) are required; the
    other fields are optional. ``url``, ``thumb_url`` and ``is_deleted`` only
    appear in replies.
    """

    title: str
    content: str = ""
    thumb_media_id: str = ""
    author: str | None = None
    digest: str | None = None
    show_cover_pic: int | None = None
    content_source_url: str | None = None
    need_open_comment: int | None = None
    only_fans_can_comment: int | None = None
    article_type: str | None = None  # "news" (default) or "newspic"
    image_info: ImageInfo | None = None
    pic_crop_235_1: str | None = None
    pic_crop_1_1: str | None = None
    url: str | None = None
    thumb_url: str | None = None
    is_deleted: bool | None = None


class NewsContent(WeChatModel):
    """The articles of a news material, draft or publication."""

    articles: Annotated[list[Article], NullableList] = Field(
        default_factory=list, alias="news_item"
    )
    create_time: datetime | None = None
    update_time: datetime | None = None


class NewsMaterial(NewsContent):
    """A permanent news material (get_material on a news id)."""


class Draft(NewsContent):
    """A draft (draft/get)."""


class PublishedNews(NewsContent):
    """A published post (freepublish/getarticle)."""


class VideoMaterial(WeChatModel):
    """A permanent video: its title, description and a download URL (no token needed)."""

    title: str = ""
    description: str = ""
    down_url: str


class VideoLink(WeChatModel):
    """A temporary video (media/get answers a link, not the file)."""

    video_url: str


class MaterialItem(WeChatModel):
    """One image, voice or video in a material list."""

    media_id: str
    name: str = ""
    update_time: datetime | None = None
    url: str | None = None


class NewsItem(WeChatModel):
    """One news material or draft in a list."""

    media_id: str
    content: NewsContent = Field(default_factory=NewsContent)
    update_time: datetime | None = None


class PublishedItem(WeChatModel):
    """One published post in a list (freepublish/batchget)."""

    article_id: str
    content: NewsContent = Field(default_factory=NewsContent)
    update_time: datetime | None = None


ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(WeChatModel, Generic[ItemT]):
    """One page of a list: ``items`` from ``offset``, out of ``total_count`` in all."""

    total_count: int = 0
    item_count: int = 0
    items: Annotated[list[ItemT], NullableList] = Field(default_factory=list, alias="item")


class Quota(WeChatModel):
    daily_limit: int = 0
    used: int = 0
    remain: int = 0


class RateLimit(WeChatModel):
    call_count: int = 0
    refresh_second: int = 0


class QuotaInfo(WeChatModel):
    """How much of an API's daily quota is used (openapi/quota/get)."""

    quota: Quota
    rate_limit: RateLimit | None = None


class Submission(WeChatModel):
    """A publish request accepted by WeChat; publishing goes on in the background."""

    publish_id: str
    msg_data_id: int | str | None = None


class PublishStatus(IntEnum):
    """Where a publish stands (``publish_status`` of freepublish/get)."""

    SUCCESS = 0
    PUBLISHING = 1
    ORIGINALITY_FAILED = 2
    FAILED = 3
    REJECTED = 4
    DELETED = 5
    BANNED = 6


def publish_status_name(code: int) -> str:
    """``success``, ``publishing``, ... for a ``publish_status`` (a code WeChat adds later:
    ``status N``)."""
    try:
        return PublishStatus(code).name.lower()
    except ValueError:
        return f"status {code}"


class PublishedArticleLink(WeChatModel):
    idx: int
    article_url: str


class ArticleDetail(WeChatModel):
    count: int = 0
    item: Annotated[list[PublishedArticleLink], NullableList] = Field(default_factory=list)


class PublishResult(WeChatModel):
    """The state of one publish (freepublish/get)."""

    publish_id: str
    # A status WeChat adds later stays a plain int rather than failing the reply.
    publish_status: PublishStatus | int = Field(union_mode="left_to_right")
    article_id: str | None = None
    article_detail: ArticleDetail | None = None
    fail_idx: Annotated[list[int], NullableList] = Field(default_factory=list)

    @property
    def done(self) -> bool:
        """False while WeChat is still publishing."""
        return self.publish_status != PublishStatus.PUBLISHING

    @property
    def succeeded(self) -> bool:
        return self.publish_status == PublishStatus.SUCCESS

    @property
    def article_urls(self) -> list[str]:
        """The URLs of the published articles, in order."""
        if self.article_detail is None:
            return []
        return [link.article_url for link in sorted(self.article_detail.item, key=lambda i: i.idx)]
