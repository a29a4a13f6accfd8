"""What WeChat lets through in an article's HTML, and what it removes.

WeChat's editor keeps the formatting of an article (inline styles included:
articles are laid out with them) and removes anything that could run:
scripts, frames, forms, plugins, SVG and MathML, event handler attributes,
``javascript:`` and ``data:`` links. The sandbox does the same with a real
HTML parser (nh3, the binding of the ammonia sanitizer), never with patterns
over raw markup, which ``<scr<script></script>ipt>`` and friends slip past.

:func:`clean_article_html` is the one place this happens: the sandbox cleans
articles when they are stored (draft/add, add_news, uploadnews...) and again
when their pages are served, so content stored before a rule existed is
covered too; a backup cleans the articles of its offline pages with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

TAGS = frozenset(
    {
        "a", "abbr", "article", "aside", "b", "big", "blockquote", "br", "caption", "center",
        "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "section", "small", "span", "strike", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
        # Drawings: WeChat articles show inline SVG (formulas, diagrams), static shapes only.
        "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan",
    }
)  # fmt: skip
"""Elements kept (others lose their tags; their text stays)."""

DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "math", "noscript", "template", "textarea", "select", "xmp", "noembed",
        "noframes", "plaintext",
        # SVG that can run, fetch or rewrite: animations can set an href to javascript:.
        "foreignObject", "animate", "animateMotion", "animateTransform", "set", "use",
        "image", "feImage", "handler", "listener",
    }
)  # fmt: skip
"""Elements removed with everything inside them."""

ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "class", "align", "title", "dir", "lang", "width", "height"},
    "a": {"href", "target", "name"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan", "valign"},
    "th": {"colspan", "rowspan", "valign"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "font": {"color", "size", "face"},
    "table": {"border", "cellpadding", "cellspacing"},
    # "xlink" is how the parser names the xmlns:xlink declaration.
    "svg": {"xmlns", "xlink", "viewBox", "preserveAspectRatio", "fill", "stroke"},
}
_SHAPE = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "opacity", "transform",
}  # fmt: skip
ATTRIBUTES |= {
    "g": _SHAPE,
    "path": _SHAPE | {"d"},
    "rect": _SHAPE | {"x", "y", "rx", "ry"},
    "circle": _SHAPE | {"cx", "cy", "r"},
    "ellipse": _SHAPE | {"cx", "cy", "rx", "ry"},
    "line": _SHAPE | {"x1", "y1", "x2", "y2"},
    "polyline": _SHAPE | {"points"},
    "polygon": _SHAPE | {"points"},
    "text": _SHAPE | {"x", "y", "dx", "dy", "font-size", "font-family", "text-anchor"},
    "tspan": _SHAPE | {"x", "y", "dx", "dy", "font-size", "font-family", "text-anchor"},
}
DATA_ATTRIBUTES = {"data-"}  # WeChat's own markup: data-src, data-ratio, data-w...
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*['"]?\s*([^'")\s]*)""")
_CSS_DANGER = ("expression", "javascript:", "vbscript:", "behavior", "binding", "@import")
# nh3's output is serialized markup: attribute values are double-quoted with
# `"`, `<` and `>` escaped, so a tag can be matched there (never in raw input).
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE_NAME = re.compile(r'\s([^\s=/>]+)(?:="[^"]*")?')
_SELF_CLOSING = re.compile(r"\s*/>")
_INVISIBLE = re.compile(r"[\x00-\x20]")


@dataclass(frozen=True)
class CleanedHtml:
    """An article's HTML as WeChat keeps it, and what was taken out of it."""

    html: str
    """The clean HTML: the original text when nothing had to go, else nh3's serialization."""
    removed: list[str] = field(default_factory=list)
    """What was dropped, in order, each once: ``"<script>"``, ``"onload on <svg>"``,
    ``"javascript: URL in <a href>"``, ``"style on <p>"``, ``"<img> not hosted by WeChat"``."""


def style_problem(style: str) -> str | None:
    """Why an inline style may not stay (None: it may).

    nh3 does not read CSS, so this keeps out what CSS can run or fetch:
    ``expression()``, ``javascript:`` and other scripting hooks, escapes that
    could spell them, and ``url()`` to anything but an https address.
    """
    text = _COMMENT.sub("", style).lower()
    if "\\" in text:
        return "a CSS escape"
    for danger in _CSS_DANGER:
        if danger in text:
            return danger
    for target in _CSS_URL.findall(text):
        if not target.startswith("https://"):
            return "url() to a non-https address"
    return None


_TAGS_LOWER = frozenset(tag.lower() for tag in TAGS)
_ATTRIBUTES_LOWER = {tag: {name.lower() for name in names} for tag, names in ATTRIBUTES.items()}
_ATTRIBUTES_LOWER["svg"].add("xmlns:xlink")  # as HTMLParser names it


class _Survey(HTMLParser):
    """Lists what the allow-list takes out, to report it (nh3 only says what stays)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: dict[str, None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # HTMLParser lower-cases every name; SVG's are mixed-case (viewBox).
        if tag not in _TAGS_LOWER:
            self.removed[f"<{tag}>"] = None
            return
        allowed = _ATTRIBUTES_LOWER["*"] | _ATTRIBUTES_LOWER.get(tag, set())
        for name, value in attrs:
            if name.startswith(tuple(DATA_ATTRIBUTES)):
                continue
            if name not in allowed:
                self.removed[f"{name} on <{tag}>"] = None
            elif name in ("href", "src") and value:
                scheme, sep, _ = _INVISIBLE.sub("", value).partition(":")
                scheme = scheme.lower()
                if sep and "/" not in scheme and scheme not in URL_SCHEMES:
                    self.removed[f"{scheme}: URL in <{tag} {name}>"] = None

    handle_startendtag = handle_starttag


def clean_article_html(html: str, image_url_ok: Callable[[str], bool] | None = None) -> CleanedHtml:
    """``html`` with what WeChat removes taken out, and the list of what went.

    With ``image_url_ok``, ``<img>`` tags whose ``src`` it refuses (images not
    hosted by WeChat) go too, as WeChat drops them when an article is saved.
    """
    survey = _Survey()
    survey.feed(html)
    survey.close()
    removed = survey.removed

    def keep(tag: str, name: str, value: str) -> str | None:
        if name == "style":
            problem = style_problem(value)
            if problem is not None:
                removed[f"style on <{tag}> ({problem})"] = None
                return None
        hosted = image_url_ok is None or tag != "img" or name != "src" or image_url_ok(value)
        if not hosted:
            removed["<img> not hosted by WeChat"] = None
            return None
        return value

    cleaned = nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ATTRIBUTES,
        attribute_filter=keep,
        generic_attribute_prefixes=DATA_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    if image_url_ok is not None:
        # An image without a source shows nothing: WeChat drops the whole tag.
        def drop_sourceless(tag: re.Match[str]) -> str:
            if "src" in _ATTRIBUTE_NAME.findall(tag.group(0)):
                return tag.group(0)
            removed["<img> not hosted by WeChat"] = None
            return ""

        cleaned = _IMG_TAG.sub(drop_sourceless, cleaned)
    if _only_reescaped(html, cleaned):
        cleaned = html  # WeChat keeps the author's markup when it takes nothing out
    return CleanedHtml(cleaned, list(removed))


def _only_reescaped(original: str, cleaned: str) -> bool:
    """Did cleaning change nothing but write a bare ``&`` as ``&amp;`` and ``<br/>`` as ``<br>``?

    Then the two parse the same, and the original can stay as written: nh3
    re-escapes the very text it decoded (a ``&colon;`` that decoded to ``:``
    comes back as ``:``, never as ``&amp;colon;``), and in HTML a ``/`` that
    ends a tag changes nothing (SVG and MathML, where it does, never stay).
    """
    written = _SELF_CLOSING.sub(">", original).replace("&amp;", "&")
    return written == cleaned.replace("&amp;", "&")
