"""What clean-up took out of an article: the sent HTML against the HTML kept.

Works from the two texts alone, so it reports whatever the clean-up does
(scripts and outside images today, more once a stricter sanitizer runs):
elements that are fewer in the kept text, the ``src`` of the images among
them, the start of each dropped script, and attributes gone from elements
that stayed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

SNIPPET = 80


@dataclass(frozen=True)
class Dropped:
    what: str
    detail: str = ""
    count: int = 1


class _Survey(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: Counter[str] = Counter()
        self.attributes: Counter[tuple[str, str]] = Counter()
        self.images: Counter[str] = Counter()
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements[tag] += 1
        for name, value in attrs:
            self.attributes[(tag, name)] += 1
            if tag == "img" and name == "src":
                self.images[value or ""] += 1
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self.scripts:
            self.scripts[-1] += data


def _survey(html: str) -> _Survey:
    survey = _Survey()
    survey.feed(html)
    survey.close()
    return survey


def dropped_parts(sent: str, kept: str) -> list[Dropped]:
    """What is in ``sent`` and not in ``kept``; empty when nothing was taken out."""
    if sent == kept:
        return []
    before, after = _survey(sent), _survey(kept)
    found: list[Dropped] = []
    lost_elements = before.elements - after.elements
    for tag, count in sorted(lost_elements.items()):
        if tag == "script":
            for text in before.scripts[:count]:
                found.append(Dropped("<script>", text.strip()[:SNIPPET]))
        elif tag == "img":
            for src, n in (before.images - after.images).items():
                found.append(Dropped("<img> from elsewhere", src[:SNIPPET], n))
        else:
            found.append(Dropped(f"<{tag}>", "", count))
    for (tag, name), count in sorted((before.attributes - after.attributes).items()):
        if tag not in lost_elements:
            found.append(Dropped(f"{name}= on <{tag}>", "", count))
    if not found:
        found.append(Dropped("text", "the content was changed"))
    return found
