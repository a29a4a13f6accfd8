"""How much of WeChat's content limit a post uses, and what uses most of it.

WeChat takes an article's content only under 20,000 characters (and 1 MB),
counting the HTML with its inline styles, so a post can be refused although
its text is short: code blocks, formulas drawn as SVG and tables take the
most. :func:`size_report` measures the content and names its biggest blocks::

    report = size_report(html, rendered.blocks)
    print(report.line())            # content: 6,180 of 20,000 characters
    if report.problem():            # over the limit: what to do, biggest blocks named
        ...

``wxm publish`` prints :meth:`SizeReport.line`, warns above 80 % and refuses
a post over the limit with :meth:`SizeReport.problem`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from wechat_material.limits import ARTICLE_FIELDS_BY_NAME

_CONTENT = ARTICLE_FIELDS_BY_NAME["content"]
MAX_CHARACTERS = _CONTENT.max_chars or 19_999
"""The most characters WeChat takes (its limit, 20,000, is exclusive)."""
MAX_BYTES = _CONTENT.max_bytes or 1024 * 1024 - 1
"""The most UTF-8 bytes WeChat takes (under 1 MB)."""
WARN_SHARE = 0.8
"""Above this share of the limit, ``wxm publish`` warns."""
SHOWN = 3

BlockKind = Literal["code block", "formula", "table"]


@dataclass(frozen=True)
class Block:
    """One block of the content: what it is, where it starts in the post, its size."""

    kind: BlockKind
    line: int | None
    """The line of the post it starts on (1 is the file's first line); None if unknown."""
    characters: int

    def describe(self) -> str:
        where = f" at line {self.line}" if self.line is not None else ""
        return f"the {self.kind}{where} ({self.characters:,} characters)"


@dataclass(frozen=True)
class SizeReport:
    """The content's size against WeChat's limits, and its biggest blocks."""

    characters: int
    bytes: int
    biggest: tuple[Block, ...]
    """Up to three of the biggest code blocks, formulas and tables, biggest first."""

    @property
    def limit(self) -> int:
        """WeChat's limit in characters as it is usually stated (20,000; exclusive)."""
        return MAX_CHARACTERS + 1

    @property
    def share(self) -> float:
        """The share of the limit used (characters or bytes, whichever is more)."""
        return max(self.characters / self.limit, self.bytes / (MAX_BYTES + 1))

    @property
    def fits(self) -> bool:
        return self.characters <= MAX_CHARACTERS and self.bytes <= MAX_BYTES

    @property
    def near_limit(self) -> bool:
        """Fits, but uses more than 80 % of the limit."""
        return self.fits and self.share > WARN_SHARE

    def line(self) -> str:
        """``content: 6,180 of 20,000 characters``."""
        return f"content: {self.characters:,} of {self.limit:,} characters"

    def _blocks(self) -> str:
        if not self.biggest:
            return ""
        named = ", ".join(block.describe() for block in self.biggest)
        return f"; the biggest parts are {named}"

    def warning(self) -> str | None:
        """What to say when the content fits but is close to the limit."""
        if not self.near_limit:
            return None
        return (
            f"{self.line()} ({self.share:.0%} of WeChat's limit){self._blocks()}: "
            "a little more and WeChat refuses the post"
        )

    def problem(self) -> str | None:
        """Why WeChat would refuse the content, and what to do; None when it fits."""
        if self.fits:
            return None
        if self.characters > MAX_CHARACTERS:
            size = f"the content is {self.characters:,} characters, over WeChat's limit "
            size += f"of {self.limit:,}"
        else:
            size = f"the content is {self.bytes:,} bytes, over WeChat's limit of 1 MB"
        return (
            f"{size} (HTML with its inline styles){self._blocks()}. "
            "Split the post in two, shorten those blocks, or show a long one as an image"
        )

    def as_dict(self) -> dict[str, Any]:
        """For JSON output."""
        return {
            "characters": self.characters,
            "bytes": self.bytes,
            "limit": self.limit,
            "share": round(self.share, 4),
            "biggest": [
                {"kind": b.kind, "line": b.line, "characters": b.characters} for b in self.biggest
            ],
        }


def size_report(html: str, blocks: Iterable[Block] = ()) -> SizeReport:
    """The size of ``html`` (the content as sent) and the biggest of ``blocks``.

    ``blocks`` come from :attr:`~wechat_material.articles.Rendered.blocks`; any
    content can be measured without them.
    """
    biggest = sorted(blocks, key=lambda block: block.characters, reverse=True)[:SHOWN]
    return SizeReport(characters=len(html), bytes=len(html.encode("utf-8")), biggest=tuple(biggest))
