"""What clean-up took out of an article, for the console: the cleaner's own account.

The list is :attr:`~wechat_material.article_html.CleanedHtml.removed`, in its
order, so the console names exactly what :func:`clean_article_html` took out
and nothing else. Two entries get a detail read from the HTML as sent, which
the cleaner does not keep: the start of each dropped script, and the address
of each image not hosted by WeChat.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

from wechat_material.article_html import CleanedHtml

SNIPPET = 80
SCRIPT = "<script>"
OUTSIDE_IMAGE = "<img> not hosted by WeChat"


@dataclass(frozen=True)
class Dropped:
    what: str
    """One entry of ``CleanedHtml.removed``."""
    detail: str = ""
    count: int = 1


class _Details(HTMLParser):
    """The scripts' text and the images' sources of some HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: Counter[str] = Counter()
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            for name, value in attrs:
                if name == "src":
                    self.images[value or ""] += 1
        elif tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self.scripts:
            self.scripts[-1] += data


def _details(html: str) -> _Details:
    details = _Details()
    details.feed(html)
    details.close()
    return details


def dropped_parts(sent: str, cleaned: CleanedHtml) -> list[Dropped]:
    """What clean-up took out of ``sent`` (``cleaned`` is its result); empty when nothing."""
    if not cleaned.removed:
        return []
    before = _details(sent)
    found: list[Dropped] = []
    for what in cleaned.removed:
        details: list[Dropped] = []
        if what == SCRIPT:
            details = [Dropped(what, text.strip()[:SNIPPET]) for text in before.scripts]
        elif what == OUTSIDE_IMAGE:
            gone = before.images - _details(cleaned.html).images
            details = [Dropped(what, src[:SNIPPET], n) for src, n in gone.items() if src]
        found.extend(details or [Dropped(what)])
    return found
