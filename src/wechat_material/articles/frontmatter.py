"""The front matter of a post: its fields, their checks, and writing the draft id back.

A post starts with a YAML block between two ``---`` lines::

    ---
    title: 春天的第一篇
    author: 小王
    cover: images/cover.jpg
    comments: fans    # or open, off
    ---

It is read with PyYAML in safe mode (no tags that build objects). Every
field is text as written (``comments: off`` is the word, not YAML's false;
``title: 2024`` is the title "2024"). A syntax error names the line and
column, a value of the wrong kind names its key, and keys WeChat has no use
for are listed in one warning. Everything is checked before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import yaml

from wechat_material.errors import ArticleValidationError
from wechat_material.limits import ARTICLE_FIELDS_BY_NAME

FENCE = "---"
DRAFT_KEY = "media_id"
ASSETS_KEY = "assets"
KNOWN_KEYS = frozenset({"title", "author", "digest", "cover", "source_url", "comments", DRAFT_KEY})
CommentMode = Literal["open", "fans", "off"]
COMMENT_MODES: tuple[CommentMode, ...] = ("open", "fans", "off")
# Unknown keys named in the warning; the rest are counted.
_UNKNOWN_SHOWN = 10
_READ_KEYS = KNOWN_KEYS | {ASSETS_KEY}
_CORE_TAG = "tag:yaml.org,2002:"
# The tags YAML gives plain and quoted scalars; any other was written by hand.
_PLAIN_TAGS = frozenset({"str", "int", "float", "bool", "null", "timestamp"})
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PostError(ArticleValidationError):
    """A post that cannot be published as it is; ``field`` names the front matter key."""


@dataclass(frozen=True)
class Split:
    """A post cut into its front matter lines and its Markdown body."""

    lines: list[str]  # the front matter, without the fences
    body: str
    has_front_matter: bool


def split(text: str, name: str = "the post") -> Split:
    """Cut off the front matter (``---`` on the first line up to the next ``---``)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != FENCE:
        return Split([], text, False)
    for end in range(1, len(lines)):
        if lines[end].rstrip() == FENCE:
            return Split(lines[1:end], "".join(lines[end + 1 :]), True)
    raise PostError(
        f"{name}:1: the front matter opened by '---' is never closed: add a '---' line after it"
    )


@dataclass(frozen=True)
class Fields:
    """The front matter's text values by key, the line of each key, and warnings."""

    values: dict[str, str]
    lines: dict[str, int]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Value:
    """A top-level value as written: its text (scalars), or what else it is."""

    kind: str  # "text", "a list", "a mapping" or "an alias"
    text: str = ""
    tag: str | None = None
    null: bool = False


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def _syntax_error(name: str, exc: yaml.MarkedYAMLError) -> PostError:
    mark = exc.problem_mark or exc.context_mark
    where = f"{name}:{mark.line + 2}:{mark.column + 1}" if mark is not None else name
    reason = exc.problem or "it cannot be read"
    if exc.context and exc.context_mark is not None:
        line, column = exc.context_mark.line + 2, exc.context_mark.column + 1
        reason += f" ({exc.context} that starts at line {line}, column {column})"
    return PostError(
        f"{where}: the front matter is not valid YAML: {reason}; "
        "quote a value that holds ':', '[', '{' or '#' (title: \"a: b\")"
    )


def _skip(events: Iterator[yaml.Event]) -> None:
    """Pass over the rest of a collection whose start event was just read."""
    depth = 1
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            if depth == 0:
                return


def _value(event: yaml.Event, events: Iterator[yaml.Event]) -> _Value:
    if isinstance(event, yaml.ScalarEvent):
        plain = not event.style and bool(event.implicit[0])
        return _Value("text", event.value, event.tag, plain and event.value in _NULLS)
    if isinstance(event, yaml.CollectionStartEvent):
        _skip(events)
        kind = "a list" if isinstance(event, yaml.SequenceStartEvent) else "a mapping"
        return _Value(kind, tag=event.tag)
    return _Value("an alias")


def _line(event: yaml.Event) -> int:
    """The line of the post an event starts on (the front matter starts on line 2)."""
    mark = event.start_mark
    return mark.line + 2 if mark is not None else 2


def _top_level(name: str, text: str, unknown: dict[str, None]) -> Iterator[tuple[str, _Value, int]]:
    """Each top-level key this module reads, its value and its line in the file; the
    names of the other keys go into ``unknown`` and their values are passed over.

    Read from the parser's events rather than a built tree: nothing is
    constructed (no tag can build an object) and what is not used is only
    passed over, so a megabyte of unknown keys reads in a fraction of a second.
    """
    events = iter(yaml.parse(text, Loader=_Loader))
    for event in events:
        if isinstance(event, yaml.ScalarEvent | yaml.SequenceStartEvent | yaml.AliasEvent):
            kind = _value(event, events).kind
            raise PostError(
                f"{name}:{_line(event)}: the front matter must be 'key: value' lines, not {kind}"
            )
        if isinstance(event, yaml.MappingStartEvent):
            break
    else:
        return  # empty
    for key in events:
        if isinstance(key, yaml.MappingEndEvent):
            return
        if not isinstance(key, yaml.ScalarEvent):
            _value(key, events)
            raise PostError(f"{name}:{_line(key)}: a front matter key must be a plain word")
        if key.value in _READ_KEYS:
            yield key.value, _value(next(events), events), _line(key)
            continue
        unknown[key.value] = None
        if isinstance(next(events), yaml.CollectionStartEvent):
            _skip(events)


def _pairs(name: str, text: str, unknown: dict[str, None]) -> Iterator[tuple[str, _Value, int]]:
    try:
        yield from _top_level(name, text, unknown)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(name, exc) from None
    except yaml.YAMLError:
        raise PostError(f"{name}: the front matter is not valid YAML") from None


def parse(lines: list[str], name: str = "the post") -> Fields:
    """The fields of the front matter ``lines`` (from :func:`split`); ``name`` is the post's."""
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    unknown: dict[str, None] = {}
    warnings: list[str] = []
    for key, value, line in _pairs(name, "".join(lines), unknown):
        if key in where:
            raise PostError(
                f"{name}:{line}: front matter '{key}' is given twice (also on line {where[key]}); "
                "keep one",
                field=key,
            )
        where[key] = line
        if key == ASSETS_KEY:
            warnings.append(
                f"{name}:{line}: front matter '{ASSETS_KEY}' is ignored: only "
                "'--assets DIR' on the command line allows images from another folder"
            )
            continue
        if value.kind != "text":
            raise PostError(
                f"{name}:{line}: front matter '{key}' must be text, not {value.kind}",
                field=key,
            )
        if value.tag is not None and value.tag.removeprefix(_CORE_TAG) not in _PLAIN_TAGS:
            raise PostError(
                f"{name}:{line}: front matter '{key}' has the YAML tag '{value.tag}'; "
                "write the value as plain text",
                field=key,
            )
        if not value.null:  # "key:" with nothing after it: the same as leaving it out
            values[key] = value.text
    if unknown:
        names = list(unknown)
        shown = ", ".join(names[:_UNKNOWN_SHOWN])
        more = f" and {len(names) - _UNKNOWN_SHOWN} more" if len(names) > _UNKNOWN_SHOWN else ""
        warnings.append(
            f"{name}: front matter keys not used by WeChat, ignored: {shown}{more} "
            f"(known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    return Fields(values, where, warnings)


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
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """The line of each key in the post (for messages)."""

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)

    def comment_flags(self) -> dict[str, int]:
        """``need_open_comment`` / ``only_fans_can_comment`` for ``comments``."""
        if self.comments is None:
            return {}
        return {
            "need_open_comment": int(self.comments != "off"),
            "only_fans_can_comment": int(self.comments == "fans"),
        }


def _check_length(where: str, key: str, wire_name: str, value: str) -> None:
    spec = ARTICLE_FIELDS_BY_NAME[wire_name]
    if spec.max_chars is not None and len(value) > spec.max_chars:
        raise PostError(
            f"{where}front matter '{key}' has {len(value)} characters; "
            f"WeChat allows at most {spec.max_chars}",
            field=key,
        )
    if spec.max_bytes is not None and len(value.encode()) > spec.max_bytes:
        raise PostError(
            f"{where}front matter '{key}' is {len(value.encode())} bytes; "
            f"WeChat allows at most {spec.max_bytes}",
            field=key,
        )


def check(
    fields: dict[str, str], *, name: str | None = None, lines: dict[str, int] | None = None
) -> FrontMatter:
    """The front matter's fields checked against WeChat's limits.

    ``name`` and ``lines`` (the post's file name, each key's line) go into messages.
    """
    lines = lines or {}
    fields = {key: value.strip() for key, value in fields.items()}  # YAML's block values end in \n

    def at(key: str) -> str:
        if name is None:
            return ""
        return f"{name}:{lines[key]}: " if key in lines else f"{name}: "

    title = fields.get("title", "")
    if not title:
        raise PostError(
            f"{at('title')}the post has no title: add 'title: …' to its front matter "
            "(between '---' lines)",
            field="title",
        )
    wire = {"title": "title", "author": "author", "digest": "digest"}
    wire["source_url"] = "content_source_url"
    for key, wire_name in wire.items():
        if fields.get(key):
            _check_length(at(key), key, wire_name, fields[key])
    source_url = fields.get("source_url") or None
    if source_url is not None and not source_url.startswith(("http://", "https://")):
        raise PostError(
            f"{at('source_url')}front matter 'source_url' must be an http(s) URL "
            f"(http://… or https://…), not '{source_url}'",
            field="source_url",
        )
    comments = fields.get("comments") or None
    if comments is not None and comments not in COMMENT_MODES:
        raise PostError(
            f"{at('comments')}front matter 'comments' must be one of "
            f"{', '.join(COMMENT_MODES)}, not '{comments}'",
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
        lines=dict(lines),
    )


def _is_draft_key_line(line: str) -> bool:
    # Only a top-level "media_id:" line (no indent): a plain prefix test, no regex.
    head, colon, _ = line.partition(":")
    return bool(colon) and head.rstrip(" \t") == DRAFT_KEY


def with_draft_id(text: str, media_id: str) -> str:
    """``text`` with ``media_id: …`` set in its front matter; every other byte kept.

    Comments, quoting, order and line endings stay as the writer left them:
    only the one ``media_id`` line is replaced (or added before the closing
    ``---``), and the result is read again to be sure it says what was meant.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    parts = split(text)
    if not parts.has_front_matter:
        raise PostError("the post has no front matter to write the draft id into")
    newline = "\r\n" if parts.lines and parts.lines[0].endswith("\r\n") else "\n"
    entry = f"{DRAFT_KEY}: {media_id}{newline}"
    lines = list(parts.lines)
    known = parse(lines).lines.get(DRAFT_KEY)
    if known is not None:
        if not _is_draft_key_line(lines[known - 2]):  # quoted, or in a flow mapping
            raise PostError(
                f"the front matter's media_id on line {known} is not a plain "
                f"'media_id: …' line; set it to {media_id} yourself"
            )
        lines[known - 2] = entry
    else:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.append(entry)
    if parse(lines).values.get(DRAFT_KEY) != media_id:
        raise PostError(
            f"the draft id could not be written into the front matter; "
            f"add 'media_id: {media_id}' to it yourself"
        )
    body_lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    head, closing = body_lines[0], body_lines[len(parts.lines) + 1]
    return bom + head + "".join(lines) + closing + parts.body
