"""WeChat's limits on material, as one table read by both the SDK and the sandbox.

The SDK checks a file against these limits *before* it is sent; the sandbox
enforces the same numbers and answers with the same error codes. Source: the
official pages 新增临时素材 / 新增永久素材 / 上传图文消息内的图片 and the
contract in ``docs/wire-contract.en.md`` (§5, §7).

>>> from wechat_material.limits import limit_for, Target, MaterialType
>>> limit_for(Target.PERMANENT, MaterialType.THUMB).max_bytes
65536
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

KB = 1024
MB = 1024 * 1024


class MaterialType(StrEnum):
    """The kinds of material WeChat stores (the ``type`` parameter)."""

    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    THUMB = "thumb"
    NEWS = "news"


class MediaFormat(StrEnum):
    """File formats WeChat accepts; the value is the file extension sent."""

    JPG = "jpg"
    PNG = "png"
    GIF = "gif"
    BMP = "bmp"
    MP3 = "mp3"
    WMA = "wma"
    WAV = "wav"
    AMR = "amr"
    MP4 = "mp4"
    SPEEX = "speex"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self]


CONTENT_TYPES: dict[MediaFormat, str] = {
    MediaFormat.JPG: "image/jpeg",
    MediaFormat.PNG: "image/png",
    MediaFormat.GIF: "image/gif",
    MediaFormat.BMP: "image/bmp",
    MediaFormat.MP3: "audio/mpeg",
    MediaFormat.WMA: "audio/x-ms-wma",
    MediaFormat.WAV: "audio/x-wav",
    MediaFormat.AMR: "audio/amr",
    MediaFormat.MP4: "video/mp4",
    MediaFormat.SPEEX: "audio/speex",
}

# Extensions WeChat accepts in a filename for each format ("jpeg" is a JPEG too).
EXTENSIONS: dict[str, MediaFormat] = {fmt.value: fmt for fmt in MediaFormat} | {
    "jpeg": MediaFormat.JPG
}


class Target(StrEnum):
    """Where an upload goes: each has its own limits."""

    PERMANENT = "permanent"  # material/add_material
    TEMPORARY = "temporary"  # media/upload, valid 3 days
    ARTICLE_IMAGE = "article_image"  # media/uploadimg, images inside article HTML


@dataclass(frozen=True)
class MediaLimit:
    """What one kind of upload may be."""

    target: Target
    type: MaterialType
    max_bytes: int
    formats: frozenset[MediaFormat]
    size_errcode: int
    max_seconds: float | None = None

    def describe(self) -> str:
        """Human text such as ``"voice (temporary): amr/mp3, at most 2 MB, 60 s"``."""
        formats = "/".join(sorted(f.value for f in self.formats))
        size = (
            f"{self.max_bytes // MB} MB"
            if self.max_bytes % MB == 0
            else f"{self.max_bytes // KB} KB"
        )
        text = f"{self.type.value} ({self.target.value}): {formats}, at most {size}"
        if self.max_seconds is not None:
            text += f", {self.max_seconds:g} s"
        return text


_IMAGES = frozenset({MediaFormat.BMP, MediaFormat.PNG, MediaFormat.JPG, MediaFormat.GIF})
_VOICE_PERMANENT = frozenset({MediaFormat.MP3, MediaFormat.WMA, MediaFormat.WAV, MediaFormat.AMR})

LIMITS: dict[tuple[Target, MaterialType], MediaLimit] = {
    (lim.target, lim.type): lim
    for lim in (
        MediaLimit(Target.PERMANENT, MaterialType.IMAGE, 10 * MB, _IMAGES, 40009),
        # The temporary-media page says both 10 MB and 2 MB; today's page says 10 MB.
        MediaLimit(
            Target.TEMPORARY, MaterialType.IMAGE, 10 * MB, _IMAGES - {MediaFormat.BMP}, 40009
        ),
        MediaLimit(
            Target.ARTICLE_IMAGE,
            MaterialType.IMAGE,
            1 * MB,
            frozenset({MediaFormat.JPG, MediaFormat.PNG}),
            40009,
        ),
        MediaLimit(Target.PERMANENT, MaterialType.VOICE, 2 * MB, _VOICE_PERMANENT, 40010, 60.0),
        MediaLimit(
            Target.TEMPORARY,
            MaterialType.VOICE,
            2 * MB,
            frozenset({MediaFormat.AMR, MediaFormat.MP3}),
            40010,
            60.0,
        ),
        MediaLimit(
            Target.PERMANENT, MaterialType.VIDEO, 10 * MB, frozenset({MediaFormat.MP4}), 40011
        ),
        MediaLimit(
            Target.TEMPORARY, MaterialType.VIDEO, 10 * MB, frozenset({MediaFormat.MP4}), 40011
        ),
        MediaLimit(
            Target.PERMANENT, MaterialType.THUMB, 64 * KB, frozenset({MediaFormat.JPG}), 40012
        ),
        MediaLimit(
            Target.TEMPORARY, MaterialType.THUMB, 64 * KB, frozenset({MediaFormat.JPG}), 40012
        ),
    )
}


def limit_for(target: Target, type: MaterialType) -> MediaLimit:
    """The limit for an upload; ``KeyError`` when WeChat has no such upload (e.g. news)."""
    return LIMITS[(target, type)]


# How many permanent items an account may hold (images and news share one cap).
PERMANENT_CAPS: dict[frozenset[MaterialType], int] = {
    frozenset({MaterialType.IMAGE, MaterialType.NEWS}): 100_000,
    frozenset({MaterialType.VOICE}): 1_000,
    frozenset({MaterialType.VIDEO}): 1_000,
    frozenset({MaterialType.THUMB}): 1_000,
}

TEMPORARY_MEDIA_LIFETIME = 3 * 24 * 3600  # seconds
ACCESS_TOKEN_LIFETIME = 7200  # seconds
TOKEN_OVERLAP = 300  # seconds the previous token keeps working after a rotation

PAGE_MIN = 1
PAGE_MAX = 20  # batchget_material / draft/batchget / freepublish/batchget `count`
LIST_KINDS = ("image", "voice", "video", "news", "draft", "published")
"""Every kind of content the API lists, in the order a backup lists them: the
material types batchget_material takes (thumbs are listed with the images), then
the draft box and the publications."""

ARTICLES_MIN = 1
ARTICLES_MAX = 8  # per news / draft / uploadnews


@dataclass(frozen=True)
class ArticleField:
    """One field of an article (§5): whether it is required and how long it may be."""

    name: str
    required: bool
    max_chars: int | None = None
    max_bytes: int | None = None
    errcode: int | None = None  # what WeChat answers when the field is too long
    flag: bool = False  # 0 or 1 only
    # The bound outside the draft box (add_news, update_news, uploadnews), where it differs.
    news_max_chars: int | None = None

    def chars_limit(self, *, draft: bool) -> int | None:
        """How many characters the field may hold in the draft box or, else, in news."""
        if draft or self.news_max_chars is None:
            return self.max_chars
        return self.news_max_chars


ARTICLE_FIELDS: tuple[ArticleField, ...] = (
    # The draft box's 32 dates from 2025-12; add_news and uploadnews document no bound,
    # and the console's older limit of 64 is applied to them (docs/wire-contract.en.md).
    ArticleField("title", required=True, max_chars=32, errcode=45003, news_max_chars=64),
    ArticleField("thumb_media_id", required=True),
    # 45110 "author size out of limit" is WeChat's code for a long author.
    ArticleField("author", required=False, max_chars=16, errcode=45110),
    ArticleField("digest", required=False, max_chars=128, errcode=45004),
    ArticleField("show_cover_pic", required=False, flag=True),
    ArticleField("content", required=True, max_chars=19_999, max_bytes=MB - 1, errcode=45002),
    # [assumed] WeChat documents the 1 KB bound but no code for it; 45002 is the closest.
    ArticleField("content_source_url", required=False, max_bytes=KB, errcode=45002),
    ArticleField("need_open_comment", required=False, flag=True),
    ArticleField("only_fans_can_comment", required=False, flag=True),
)

# A permanent video's `description` {"title", "introduction"} [assumed bounds: WeChat's
# console allows 64 and 120 characters; the API documents none].
VIDEO_TITLE_MAX_CHARS = 64
VIDEO_INTRODUCTION_MAX_CHARS = 120

ARTICLE_FIELDS_BY_NAME: dict[str, ArticleField] = {f.name: f for f in ARTICLE_FIELDS}
# A single article's digest defaults to the start of its text: 54 characters in the draft
# box, 64 in news material and mass-send news (the add_news and uploadnews documentation).
DIGEST_DEFAULT_CHARS = 54
NEWS_DIGEST_DEFAULT_CHARS = 64
