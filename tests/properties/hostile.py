"""Hostile text for the pages the project renders, and a parser that tells text from markup.

A page escapes outside text correctly when that text comes back, once parsed, as
text: no element, attribute or comment is born from it, and the visible text
holds it. :func:`parse` reads a page with the standard library's HTML parser,
the way a browser splits markup from text (entities decoded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import strategies as st

FRAGMENTS = [
    "<script>alert(1)</script>",
    "</script>",
    "</title>",
    "</textarea>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><b>",
    '" onmouseover="x',
    "' onfocus='x",
    "javascript:alert(1)",
    "<!--",
    "-->",
    "<![CDATA[x]]>",
    "&amp;",
    "&lt;b&gt;",
    "&#60;i&#62;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "`",
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b[31m",
    "\x7f",
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\ufeff",
    "猫的标题",
    "😀",
    "<p>",
    "</div>",
    "<style>",
    "a",
    " ",
]
"""Pieces that break a page that forgets to escape, in some context or other."""

_LONG = st.builds(
    lambda piece, n: piece * n, st.sampled_from(["<b>", "猫", "&", "a"]), st.integers(200, 600)
)


def hostile_text(*, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    """Strings built from :data:`FRAGMENTS` and any characters, sometimes very long."""
    pieces = st.lists(
        st.sampled_from(FRAGMENTS) | st.text(min_size=1, max_size=3),
        min_size=min_size,
        max_size=max_size,
    ).map("".join)
    return st.one_of(pieces, pieces, pieces, _LONG)


@dataclass
class Parsed:
    """What a parser makes of a page: its elements (with attribute names), comments, text."""

    elements: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    @property
    def shape(self) -> tuple[list[tuple[str, tuple[str, ...]]], int]:
        """Which elements, in order, with which attributes, and how many comments."""
        return self.elements, len(self.comments)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = Parsed()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.elements.append((tag, tuple(name for name, _ in attrs)))
        self.found.attributes.extend(value or "" for _, value in attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.found.chunks.append(data)

    def handle_comment(self, data: str) -> None:
        self.found.comments.append(data)

    def unknown_decl(self, data: str) -> None:
        self.found.comments.append(data)

    def handle_pi(self, data: str) -> None:
        self.found.comments.append(data)


def parse(page: str) -> Parsed:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return reader.found


def same_markup(page: str, plain: str) -> Parsed:
    """``page`` parsed, after checking it has exactly the markup of ``plain``.

    ``plain`` is the same page rendered with harmless text in place of the hostile
    text: any element, attribute or comment more (or less) came from the input.
    """
    found, expected = parse(page), parse(plain)
    assert found.shape == expected.shape
    return found


def squeeze(text: str) -> str:
    """Whitespace runs as one space, ends trimmed: what a renderer may do to text."""
    return " ".join(text.split())
