"""Themes: CSS that is inlined into ``style`` attributes, because WeChat drops the rest.

WeChat keeps neither ``<style>`` elements nor ``class`` attributes, so a
theme's rules are applied to every element they select and written into its
``style`` attribute (css-inline); the classes are removed afterwards. Rules
that cannot be inlined (pseudo-classes, ``@media``) and declarations WeChat is
known to drop are reported as warnings (see ``docs/publishing.en.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import css_inline

from wechat_material.articles.compact import BLOCK_MARK, compact_measured
from wechat_material.articles.frontmatter import PostError


@dataclass(frozen=True)
class Theme:
    """A named look: its CSS file and the Pygments style of its code blocks."""

    name: str
    css_file: str
    code_style: str
    description: str

    def css(self) -> str:
        folder = resources.files("wechat_material.articles") / "css"
        return (folder / "base.css").read_text("utf-8") + (folder / self.css_file).read_text(
            "utf-8"
        )


THEMES: dict[str, Theme] = {
    theme.name: theme
    for theme in (
        Theme("default", "default.css", "friendly", "dark grey text, green accent"),
        Theme("ink", "ink.css", "bw", "black on white, serif headings"),
        Theme("ocean", "ocean.css", "monokai", "blue headings, dark code blocks"),
    )
}
DEFAULT_THEME = "default"


def theme_named(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise PostError(
            f"there is no theme {name!r}; choose one of {', '.join(THEMES)}", field="theme"
        ) from None


# What WeChat is known to drop, as (pattern, explanation); see docs/publishing.en.md.
_DROPPED: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"position\s*:\s*(absolute|fixed|sticky)", re.I),
        "'position: absolute/fixed/sticky' is removed by WeChat",
    ),
    (
        re.compile(r"@(media|font-face|keyframes|import|supports)\b", re.I),
        "@-rules cannot be inlined",
    ),
    (
        re.compile(
            r":{1,2}(hover|active|focus|visited|before|after|first-line|first-letter)\b", re.I
        ),
        "pseudo-classes and pseudo-elements cannot be inlined",
    ),
    (
        re.compile(r"var\(\s*--|(?<![\w-])--[\w-]+\s*:", re.I),
        "CSS custom properties are removed by WeChat",
    ),
    (
        re.compile(r"(?<![\w-])(animation|transition)[\w-]*\s*:", re.I),
        "animations and transitions are removed by WeChat",
    ),
    (
        re.compile(r"url\(\s*['\"]?(?!https?://mmbiz\.qpic\.cn)[^)]*\)", re.I),
        "url() to anything but WeChat's own images is removed",
    ),
    (re.compile(r"!important", re.I), "'!important' is removed by WeChat"),
)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def dropped_declarations(css: str) -> list[str]:
    """Warnings for the parts of ``css`` that will not reach readers, one per kind."""
    css = _COMMENT.sub("", css)
    warnings = []
    for pattern, explanation in _DROPPED:
        match = pattern.search(css)
        if match:
            warnings.append(f"CSS {match.group(0).strip()!r}: {explanation}")
    return warnings


_CLASS_ATTR = re.compile(r"""\s(?:class|id)\s*=\s*(?:"[^"]*"|'[^']*')""", re.I)
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_BLOCK_MARK = re.compile(rf'\s{BLOCK_MARK}="[^"]*"')
_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.I | re.S)


def inline_styles(html: str, css: str, *, compact: bool = True) -> str:
    """``html`` with ``css`` written into style attributes; no classes, ids, <style>.

    The styles are compacted (:func:`~wechat_material.articles.compact.compact_html`):
    ``compact=False`` keeps them as inlined, to compare the two.
    """
    return inline_measured(html, css, compact=compact)[0]


def inline_measured(html: str, css: str, *, compact: bool = True) -> tuple[str, dict[str, int]]:
    """:func:`inline_styles`, and the size of each element marked as a block to measure."""
    inlined = css_inline.inline_fragment(html, css)  # no <style> kept, no @-rules
    inlined = _STYLE_ELEMENT.sub("", inlined)
    if compact:
        return compact_measured(inlined)
    plain = _TAG.sub(lambda tag: _CLASS_ATTR.sub("", tag.group(0)), inlined)
    return _BLOCK_MARK.sub("", plain), {}
