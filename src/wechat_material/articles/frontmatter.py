"""The front matter of a post: its fields, their checks, and writing the draft id back.

A post starts with a block of flat ``key: value`` lines between two ``---``
lines (the common subset of YAML front matter)::

    ---
    title: 春天的第一篇
    author: 小王
    cover: images/cover.jpg
    comments: fans
    ---

Values may be quoted ("…" or '…'); ``#`` starts a comment line. Everything is
checked before anything is sent, and an error names the field and its limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from wechat_material.errors import ArticleValidationError
from wechat_material.limits import ARTICLE_FIELDS_BY_NAME

FENCE = "---"
DRAFT_KEY = "media_id"
KNOWN_KEYS = frozenset({"title", "author", "digest", "cover", "source_url", "comments", DRAFT_KEY})
CommentMode = Literal["open", "fans", "off"]
COMMENT_MODES: tuple[CommentMode, ...] = ("open", "fans", "off")

_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$")


class PostError(ArticleValidationError):
    """A post that cannot be published as it is; ``field`` names the front matter key."""


@dataclass(frozen=True)
class Split:
    """A post cut into its front matter lines and its Markdown body."""

    lines: list[str]  # the front matter, without the fences
    body: str
    has_front_matter: bool


def split(text: str) -> Split:
    """Cut off the front matter (``---`` on the first line up to the next ``---``)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != FENCE:
        return Split([], text, False)
    for end in range(1, len(lines)):
        if lines[end].rstrip() == FENCE:
            return Split(lines[1:end], "".join(lines[end + 1 :]), True)
    raise PostError("the front matter opened by '---' on line 1 is never closed by '---'")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_lines(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """The fields of front matter lines, and warnings about lines and keys not understood."""
    fields: dict[str, str] = {}
    warnings: list[str] = []
    for number, raw in enumerate(lines, start=2):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line) if not raw[:1].isspace() else None
        if match is None:
            warnings.append(f"front matter line {number} is not 'key: value'; ignored")
            continue
        key, value = match.group(1), _unquote(match.group(2))
        if key not in KNOWN_KEYS:
            warnings.append(f"front matter key {key!r} is not used by WeChat; ignored")
            continue
        fields[key] = value
    return fields, warnings


@dataclass(frozen=True)
class FrontMatter:
    """The checked fields of a post."""

    title: str
    author: str | None = None
    digest: str | None = None
    cover: str | None = None
    source_url: str | None = None
    comments: CommentMode | None = None
    media_id: str | None = None

    def comment_flags(self) -> dict[str, int]:
        """``need_open_comment`` / ``only_fans_can_comment`` for ``comments``."""
        if self.comments is None:
            return {}
        return {
            "need_open_comment": int(self.comments != "off"),
            "only_fans_can_comment": int(self.comments == "fans"),
        }


def _check_length(key: str, wire_name: str, value: str) -> None:
    spec = ARTICLE_FIELDS_BY_NAME[wire_name]
    if spec.max_chars is not None and len(value) > spec.max_chars:
        raise PostError(
            f"front matter '{key}' has {len(value)} characters; "
            f"WeChat allows at most {spec.max_chars}",
            field=key,
        )
    if spec.max_bytes is not None and len(value.encode()) > spec.max_bytes:
        raise PostError(
            f"front matter '{key}' is {len(value.encode())} bytes; "
            f"WeChat allows at most {spec.max_bytes}",
            field=key,
        )


def check(fields: dict[str, str]) -> FrontMatter:
    """The front matter's fields checked against WeChat's limits."""
    title = fields.get("title", "").strip()
    if not title:
        raise PostError(
            "the post has no title: add 'title: …' to its front matter (between '---' lines)",
            field="title",
        )
    wire = {"title": "title", "author": "author", "digest": "digest"}
    wire["source_url"] = "content_source_url"
    for key, wire_name in wire.items():
        if fields.get(key):
            _check_length(key, wire_name, fields[key])
    source_url = fields.get("source_url") or None
    if source_url is not None and not source_url.startswith(("http://", "https://")):
        raise PostError(
            f"front matter 'source_url' must be an http(s) URL, not {source_url!r}",
            field="source_url",
        )
    comments = fields.get("comments") or None
    if comments is not None and comments not in COMMENT_MODES:
        raise PostError(
            f"front matter 'comments' must be one of {', '.join(COMMENT_MODES)}, not {comments!r}",
            field="comments",
        )
    return FrontMatter(
        title=title,
        author=fields.get("author") or None,
        digest=fields.get("digest") or None,
        cover=fields.get("cover") or None,
        source_url=source_url,
        comments=comments,  # checked against COMMENT_MODES above
        media_id=fields.get(DRAFT_KEY) or None,
    )


def with_draft_id(text: str, media_id: str) -> str:
    """``text`` with ``media_id: …`` set in its front matter; every other byte kept."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    parts = split(text)
    if not parts.has_front_matter:
        raise PostError("the post has no front matter to write the draft id into")
    newline = "\r\n" if parts.lines and parts.lines[0].endswith("\r\n") else "\n"
    entry = f"{DRAFT_KEY}: {media_id}{newline}"
    lines = list(parts.lines)
    for index, line in enumerate(lines):
        match = _LINE.match(line.strip())
        if match and match.group(1) == DRAFT_KEY and not line[:1].isspace():
            lines[index] = entry
            break
    else:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.append(entry)
    head = text.removeprefix("\ufeff").splitlines(keepends=True)[0]
    closing = _closing_fence(text.removeprefix("\ufeff"), len(parts.lines) + 1)
    return bom + head + "".join(lines) + closing + parts.body


def _closing_fence(text: str, index: int) -> str:
    return text.splitlines(keepends=True)[index]
