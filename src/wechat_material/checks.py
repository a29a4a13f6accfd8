"""The rules WeChat applies to uploads and articles.

Each check returns the problems it finds as :class:`Problem` values: the
errcode WeChat would answer and a sentence saying what to do. The SDK turns
them into validation errors before sending; the sandbox answers with the
errcode. One implementation serves both, so they cannot drift apart. All are
pure but :func:`check_media`, which reads the file (through
:mod:`wechat_material.mediainfo`) in the order that keeps refusals cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from wechat_material import mediainfo
from wechat_material.errcodes import INVALID_ARGS, INVALID_FILE_TYPE
from wechat_material.limits import (
    ARTICLE_FIELDS,
    ARTICLE_FIELDS_BY_NAME,
    ARTICLES_MAX,
    ARTICLES_MIN,
    EXTENSIONS,
    VIDEO_INTRODUCTION_MAX_CHARS,
    VIDEO_TITLE_MAX_CHARS,
    MediaFormat,
    MediaLimit,
)


@dataclass(frozen=True)
class Problem:
    """One broken rule: the errcode WeChat answers and what to do about it."""

    errcode: int
    message: str
    field: str | None = None
    index: int | None = None


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def extension_format(filename: str) -> MediaFormat | None:
    """The format a filename's extension names (``a.JPEG`` → JPG), or None."""
    _, dot, ext = filename.rpartition(".")
    return EXTENSIONS.get(ext.lower()) if dot else None


def media_problem(
    limit: MediaLimit,
    fmt: MediaFormat | None,
    size: int | None,
    duration: float | None = None,
) -> Problem | None:
    """The first rule a file breaks for an upload with ``limit``, or None.

    ``fmt`` is the format detected from the content (None: unrecognised),
    ``size`` its length in bytes (None: unknown, e.g. a pipe), ``duration``
    the seconds of a voice where they could be read.
    """
    if size == 0:
        return Problem(44001, "the file is empty")
    if fmt is None or fmt not in limit.formats:
        found = f"a {fmt.value.upper()} file" if fmt else "not a recognised media file"
        return Problem(INVALID_FILE_TYPE, f"it is {found}; {limit.describe()}")
    if size is not None and size > limit.max_bytes:
        return Problem(
            limit.size_errcode,
            f"it is {_size_text(size)}, over the limit; {limit.describe()}",
        )
    if duration is not None and limit.max_seconds is not None and duration > limit.max_seconds:
        return Problem(
            limit.size_errcode,
            f"it lasts {duration:.1f} s, over the limit; {limit.describe()}",
        )
    return None


@dataclass(frozen=True)
class MediaVerdict:
    """What :func:`check_media` found: the format, a voice's length, the first problem."""

    format: MediaFormat | None
    duration: float | None
    problem: Problem | None


def check_media(
    limit: MediaLimit, data: IO[bytes], size: int | None, *, timed: bool = True
) -> MediaVerdict:
    """Judge the file in ``data`` (seekable, at its first byte) for an upload with ``limit``.

    The cheap checks come first: emptiness, the format from the first bytes,
    then the size, so a file over the limit is refused without walking its
    frames. Only a file that passes them is checked for being whole (its end
    marker or box structure) and, where the limit has one, timed. ``size``
    None (unknown, or past the limit and not measured) skips the reading
    checks. ``timed`` False skips the duration. The position is kept.
    """
    fmt = mediainfo.detect_stream_format(data)
    problem = media_problem(limit, fmt, size)
    if problem is not None or fmt is None or size is None:
        return MediaVerdict(fmt, None, problem)
    damage = mediainfo.damage(data, fmt, size)
    if damage is not None:
        message = f"it looks truncated or corrupt: {damage}; send the whole file"
        return MediaVerdict(fmt, None, Problem(INVALID_FILE_TYPE, message))
    duration = None
    if timed and limit.max_seconds is not None:
        duration = mediainfo.voice_duration(data, fmt)
    return MediaVerdict(fmt, duration, media_problem(limit, fmt, size, duration))


def video_description_problem(title: object, introduction: object) -> Problem | None:
    """The first rule a permanent video's title and introduction break, or None.

    The title is required; the introduction must be given but may be empty.
    """
    if not isinstance(title, str) or not title.strip():
        return Problem(INVALID_ARGS, "a video material needs a title", "title")
    if not isinstance(introduction, str):
        return Problem(INVALID_ARGS, "a video material needs an introduction", "introduction")
    if len(title) > VIDEO_TITLE_MAX_CHARS:
        return Problem(
            45003,
            f"the video title has {len(title)} characters; at most {VIDEO_TITLE_MAX_CHARS}",
            "title",
        )
    if len(introduction) > VIDEO_INTRODUCTION_MAX_CHARS:
        return Problem(
            45004,
            f"the video introduction has {len(introduction)} characters; "
            f"at most {VIDEO_INTRODUCTION_MAX_CHARS}",
            "introduction",
        )
    return None


_TAG = re.compile(r"<[^>]+>")
# WeChat reads integer fields sent as digit strings ("1") as the integer.
_DIGITS = re.compile(r"\s*[0-9]{1,18}\s*")


def flag_value(value: object) -> int | None:
    """A 0/1 article flag as WeChat reads it: 0, 1 or their digits ("0", "1"); else None."""
    if isinstance(value, str):
        number = int(value) if _DIGITS.fullmatch(value) else None
        return number if number in (0, 1) else None
    return 1 if value == 1 else 0 if value == 0 else None


def text_of(html: str) -> str:
    """The visible text of article HTML (tags dropped, blanks folded)."""
    return " ".join(_TAG.sub(" ", html).split())


ARTICLE_TYPES = ("news", "newspic")
NEWSPIC_IMAGES_MAX = 20  # a picture article (newspic) shows 1 to 20 images


def _newspic_problem(article: Mapping[str, Any], index: int) -> Problem | None:
    """A picture article needs ``image_info.image_list[].image_media_id`` instead of a cover."""
    info = article.get("image_info")
    images = info.get("image_list") if isinstance(info, Mapping) else None
    where = f"article {index + 1}: 'image_info.image_list'"
    if not isinstance(images, list) or not 1 <= len(images) <= NEWSPIC_IMAGES_MAX:
        return Problem(
            INVALID_ARGS,
            f"{where} must list 1 to {NEWSPIC_IMAGES_MAX} images for a newspic article",
            "image_info",
            index,
        )
    for image in images:
        if not isinstance(image, Mapping) or not image.get("image_media_id"):
            return Problem(
                INVALID_ARGS,
                f"{where}: each image needs an 'image_media_id'",
                "image_info",
                index,
            )
    return None


# No field may hold a control character (a NUL cuts the text short in WeChat's
# storage and ends up in every page that shows it); content may keep its tabs
# and line breaks (CR LF included).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_CONTENT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINK_SCHEMES = ("http://", "https://")
# The draft box's cover crops: "X1_Y1_X2_Y2", corners as fractions of the picture.
CROP_FIELDS = ("pic_crop_235_1", "pic_crop_1_1")
_CROP_NUMBER = re.compile(r"(?:0|1)(?:\.[0-9]+)?|\.[0-9]+")


def _text_problem(name: str, value: str, index: int) -> Problem | None:
    """A control character in a text field, or a read-more link that is not http(s)."""
    where = f"article {index + 1}: '{name}'"
    found = (_CONTROL_IN_CONTENT if name == "content" else _CONTROL).search(value)
    if found is not None:
        return Problem(
            INVALID_ARGS,
            f"{where} holds a control character (U+{ord(found.group()):04X}) at position "
            f"{found.start() + 1}; remove it",
            name,
            index,
        )
    if name == "content_source_url" and not value.lower().startswith(LINK_SCHEMES):
        return Problem(
            INVALID_ARGS,
            f"{where} must be an http:// or https:// link",
            name,
            index,
        )
    return None


def crop_problem(name: str, value: object, index: int = 0) -> Problem | None:
    """A cover crop that is not ``X1_Y1_X2_Y2``: four numbers from 0 to 1."""
    where = f"article {index + 1}: '{name}'"
    parts = value.split("_") if isinstance(value, str) else []
    numbers = [float(p) for p in parts if _CROP_NUMBER.fullmatch(p)]
    if len(parts) != 4 or len(numbers) != 4 or any(n > 1 for n in numbers):
        return Problem(
            INVALID_ARGS,
            f"{where} must be 'X1_Y1_X2_Y2', four numbers from 0 to 1 (e.g. '0.1_0_0.9_1')",
            name,
            index,
        )
    return None


def _extra_problem(article: Mapping[str, Any], index: int) -> Problem | None:
    """Control characters in fields outside the table, and the crops."""
    for name, value in article.items():
        if name in ARTICLE_FIELDS_BY_NAME or not isinstance(value, str):
            continue
        problem = _text_problem(str(name), value, index)
        if problem is not None:
            return problem
    for name in CROP_FIELDS:
        value = article.get(name)
        if value is not None and value != "":
            problem = crop_problem(name, value, index)
            if problem is not None:
                return problem
    return None


def _field_problem(article: Mapping[str, Any], index: int, draft: bool) -> Problem | None:
    # Picture articles (newspic) exist only in the draft box; elsewhere every
    # article is a plain one and needs its cover.
    article_type = (article.get("article_type") or "news") if draft else "news"
    if article_type not in ARTICLE_TYPES:
        return Problem(
            INVALID_ARGS,
            f"article {index + 1}: 'article_type' must be 'news' or 'newspic', "
            f"not '{article_type}'",
            "article_type",
            index,
        )
    if article_type == "newspic":
        problem = _newspic_problem(article, index)
        if problem is not None:
            return problem
    for spec in ARTICLE_FIELDS:
        value = article.get(spec.name)
        where = f"article {index + 1}: '{spec.name}'"
        if value is None or value == "":
            # A picture article's images stand in for the cover.
            if spec.required and not (article_type == "newspic" and spec.name == "thumb_media_id"):
                return Problem(INVALID_ARGS, f"{where} is required", spec.name, index)
            continue
        if spec.flag:
            if flag_value(value) is None:
                return Problem(INVALID_ARGS, f"{where} must be 0 or 1", spec.name, index)
            continue
        if not isinstance(value, str):
            return Problem(INVALID_ARGS, f"{where} must be text", spec.name, index)
        code = spec.errcode or INVALID_ARGS
        max_chars = spec.chars_limit(draft=draft)
        if max_chars is not None and len(value) > max_chars:
            return Problem(
                code,
                f"{where} has {len(value)} characters; at most {max_chars} are allowed",
                spec.name,
                index,
            )
        if spec.max_bytes is not None and len(value.encode()) > spec.max_bytes:
            return Problem(
                code,
                f"{where} is {_size_text(len(value.encode()))}; "
                f"at most {_size_text(spec.max_bytes)} is allowed",
                spec.name,
                index,
            )
        problem = _text_problem(spec.name, value, index)
        if problem is not None:
            return problem
    return _extra_problem(article, index)


def article_problem(
    article: Mapping[str, Any], index: int = 0, *, draft: bool = False
) -> Problem | None:
    """The first rule one article (a JSON object as sent to WeChat) breaks, or None.

    ``draft``: the article goes to the draft box, where picture articles
    (``article_type: "newspic"``) are allowed.
    """
    if not isinstance(article, Mapping):
        return Problem(INVALID_ARGS, f"article {index + 1} must be an object", None, index)
    return _field_problem(article, index, draft)


def articles_problem(articles: Any, *, draft: bool = False) -> Problem | None:
    """The first rule a list of articles (news, draft, uploadnews) breaks, or None."""
    if not isinstance(articles, list) or not ARTICLES_MIN <= len(articles) <= ARTICLES_MAX:
        count = len(articles) if isinstance(articles, list) else "no list of"
        return Problem(
            INVALID_ARGS,
            f"{count} articles given; send {ARTICLES_MIN} to {ARTICLES_MAX}",
            "articles",
        )
    for index, article in enumerate(articles):
        problem = article_problem(article, index, draft=draft)
        if problem is not None:
            return problem
    return None
