"""What WeChat changed: the HTML sent compared with the HTML a draft holds afterwards.

WeChat cleans article HTML as it saves it (scripts, event handlers, images
from other hosts, some styles). Reading the draft back and comparing shows
the writer what readers will miss. Only losses are reported: WeChat also
adds attributes of its own, which change nothing for the reader.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Change:
    """One kind of loss: ``kind`` (element, image, attribute, style, text) and what it was."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return self.detail


# Drawings whose inside (paths, shapes) is reported as the one element.
GRAPHICS = frozenset({"svg", "math"})


class _Inventory(HTMLParser):
    """What a piece of HTML holds, counted (the text of scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: Counter[str] = Counter()
        # Keyed by (tag, name): losses that come with a removed element are not counted twice.
        self.attributes: Counter[tuple[str, str]] = Counter()
        self.styles: Counter[tuple[str, str]] = Counter()
        self.images: list[str] = []
        self.text: list[str] = []
        self._hidden: str | None = None
        self._graphic: tuple[str, int] | None = None  # the open <svg>/<math> and its depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._graphic is not None:
            if tag == self._graphic[0]:
                self._graphic = (tag, self._graphic[1] + 1)
            return  # the inside of a formula or drawing is part of it, not counted apart
        self.elements[tag] += 1
        if tag in GRAPHICS:
            self._graphic = (tag, 1)
        if tag in {"script", "style"}:
            self._hidden = tag
        names = set()
        for name, value in attrs:
            if name == "style":
                for declaration in (value or "").split(";"):
                    prop = declaration.partition(":")[0].strip().lower()
                    if prop:
                        self.styles[(tag, prop)] += 1
                continue
            if tag == "img" and name in {"src", "data-src"}:
                # WeChat moves an image's src to data-src: the same image either way.
                name = "src"
                if value:
                    self.images.append(value)
            names.add(name)
        self.attributes.update((tag, name) for name in names)

    def handle_endtag(self, tag: str) -> None:
        if self._graphic is not None and tag == self._graphic[0]:
            depth = self._graphic[1] - 1
            self._graphic = (tag, depth) if depth else None
        if tag == self._hidden:
            self._hidden = None

    def handle_data(self, data: str) -> None:
        if self._hidden is None:
            self.text.append(data)

    @classmethod
    def of(cls, html: str) -> _Inventory:
        inventory = cls()
        inventory.feed(html)
        inventory.close()
        return inventory


def image_key(url: str) -> str:
    """What identifies an image by its URL: WeChat may add a query (``?wx_fmt=png``) to
    its own URLs, and the image is the same."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}" if parts.netloc else url


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _lost(
    before: Counter[tuple[str, str]], after: Counter[tuple[str, str]], removed: Counter[str]
) -> dict[str, int]:
    """Names lost from elements that are still there (those of removed elements left out)."""
    lost: Counter[str] = Counter()
    for (tag, name), count in (before - after).items():
        beyond = count - removed[tag]
        if beyond > 0:
            lost[name] += beyond
    return dict(sorted(lost.items()))


def compare(sent: str, stored: str) -> list[Change]:
    """The losses between the HTML ``sent`` and the HTML WeChat ``stored``; [] if none."""
    before, after = _Inventory.of(sent), _Inventory.of(stored)
    changes: list[Change] = []
    for tag, count in sorted((before.elements - after.elements).items()):
        changes.append(Change("element", f"{_plural(count, f'<{tag}> element')} removed"))
    kept = {image_key(url) for url in after.images}
    for url in dict.fromkeys(before.images):
        if image_key(url) not in kept:
            changes.append(Change("image", f"image {url} removed"))
    removed = before.elements - after.elements
    for name, count in _lost(before.attributes, after.attributes, removed).items():
        what = _plural(count, "'" + name + "' attribute")
        changes.append(Change("attribute", f"{what} removed"))
    for prop, count in _lost(before.styles, after.styles, removed).items():
        changes.append(Change("style", f"CSS '{prop}' removed from {_plural(count, 'element')}"))
    text_before = " ".join("".join(before.text).split())
    text_after = " ".join("".join(after.text).split())
    if text_before != text_after:
        changes.append(
            Change(
                "text",
                f"the text changed: {len(text_before)} characters sent, {len(text_after)} kept",
            )
        )
    return changes
