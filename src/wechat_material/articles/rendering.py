"""Markdown to article HTML that WeChat shows as written.

markdown-it-py parses (CommonMark, tables, strikethrough, footnotes, task
lists, front matter, ``$…$`` math); the render rules below write what WeChat's
editor keeps:

- nested lists are flattened into indented blocks, each with its own marker
  (WeChat misplaces the markers of nested ``<ul>``/``<ol>``);
- tables sit in a container that scrolls sideways, with a ``<col>`` for their
  columns;
- code blocks keep their whitespace (:mod:`~wechat_material.articles.code`);
- links to ``mp.weixin.qq.com`` stay links; every other URL becomes a numbered
  reference, listed at the end (WeChat does not let readers follow them);
- math is drawn as SVG (:mod:`~wechat_material.articles.formula`).

The theme's CSS is then inlined and the classes removed
(:mod:`~wechat_material.articles.themes`). Images keep their sources as
written: :meth:`Rendered.with_image_urls` puts the uploaded URLs in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape, unescape
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from wechat_material.articles.code import code_block
from wechat_material.articles.compact import BLOCK_MARK
from wechat_material.articles.formula import as_text, formula
from wechat_material.articles.size import Block, BlockKind
from wechat_material.articles.themes import (
    DEFAULT_THEME,
    dropped_declarations,
    inline_measured,
    theme_named,
)

WECHAT_HOSTS = frozenset({"mp.weixin.qq.com"})
BULLETS = ("•", "◦", "▪")
INDENT_EM = 1.5
MARKER_EM = 1.4  # the room of a list marker; base.css hangs the marker into it
NOTES_TITLE = "注释"
REFERENCES_TITLE = "参考链接"
_FIRST_TAG = re.compile(r"^<[A-Za-z][\w-]*")
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])(.*?)\2""", re.I | re.S)


@dataclass
class _ListLevel:
    ordered: bool
    number: int
    item_open: bool = False
    fresh: bool = False  # the item's marker is written, its text not yet


@dataclass
class _State:
    """What the render rules share while one post is rendered (kept in markdown-it's env)."""

    code_style: str
    lists: list[_ListLevel] = field(default_factory=list)
    references: dict[str, int] = field(default_factory=dict)
    link_ends: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocks: list[tuple[BlockKind, int | None]] = field(default_factory=list)
    figure: bool = False  # a paragraph of one image is being written as the image alone

    def marked(self, html: str, kind: BlockKind, token: Token) -> str:
        """``html`` with its first element marked, to measure its size once inlined."""
        line = token.map[0] + 1 if token.map else token.meta.get("line")
        self.blocks.append((kind, line))
        mark = f' {BLOCK_MARK}="{len(self.blocks) - 1}"'
        return _FIRST_TAG.sub(lambda tag: tag.group(0) + mark, html, count=1)


def _state(env: EnvType) -> _State:
    state = env["wxm"]
    assert isinstance(state, _State)
    return state


Rule = Callable[[RendererHTML, Sequence[Token], int, OptionsDict, EnvType], str]


def is_wechat_link(url: str) -> bool:
    """Links WeChat lets readers follow: its own article pages."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and (parts.hostname or "") in WECHAT_HOSTS


# lists -----------------------------------------------------------------------


def _item_section(depth: int, marker: str | None, *, tall: bool = False) -> str:
    # The depth's indent and the marker's room are one left margin: nothing draws in
    # between, and it joins the item's margin in one declaration (margin:.2em 0 .2em 1.4em).
    indent = f"margin-left:{depth * INDENT_EM + MARKER_EM:g}em"
    if marker is None:
        return f'<section class="list-continued" style="{indent}">'
    # The marker floats into the room (fewer characters), on the first line's top:
    # the text's baseline when that line is of the text's height. A line that may be
    # taller (a drawn formula, an image, raw HTML) keeps the marker on its baseline.
    kind = "list-marker-inline" if tall else "list-marker"
    return (
        f'<section class="list-item" style="{indent}"><span class="{kind}">{escape(marker)}</span>'
    )


def _first_line_may_be_tall(tokens: Sequence[Token], idx: int) -> bool:
    """Whether the item opened at ``idx`` starts with a line taller than its text."""
    for token in tokens[idx + 1 :]:
        if token.type == "inline":
            return any(
                child.type == "image"
                or (child.type == "html_inline" and "task-list-item-checkbox" not in child.content)
                or (child.type.startswith("math") and as_text(child.content.strip()) is None)
                for child in token.children or []
            )
        if token.type != "paragraph_open":
            return True  # no paragraph first: a nested list, code, a formula block…
    return False


def _list_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    out = ""
    if state.lists and state.lists[-1].item_open:
        # A nested list ends its parent's block: WeChat misdraws lists inside list items.
        out = "</section>"
        state.lists[-1].item_open = False
    token = tokens[idx]
    start = int(token.attrGet("start") or 1) if token.type == "ordered_list_open" else 1
    state.lists.append(_ListLevel(token.type == "ordered_list_open", start - 1))
    return out + ('<section class="list">' if len(state.lists) == 1 else "")


def _list_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    state.lists.pop()
    return "</section>" if not state.lists else ""


def _task_marker(tokens: Sequence[Token], idx: int) -> str | None:
    """☑/☐ for a task list item (its checkbox is left out: WeChat drops inputs)."""
    if "task-list-item" not in str(tokens[idx].attrGet("class") or ""):
        return None
    for token in tokens[idx + 1 : idx + 3]:
        for child in token.children or []:
            if child.type == "html_inline" and "task-list-item-checkbox" in child.content:
                return "☑" if "checked" in child.content else "☐"
    return None


def _item_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    level = state.lists[-1]
    level.number += 1
    depth = len(state.lists) - 1
    marker = _task_marker(tokens, idx)
    if marker is None:
        marker = f"{level.number}." if level.ordered else BULLETS[depth % len(BULLETS)]
    level.item_open = level.fresh = True
    return _item_section(depth, marker, tall=_first_line_may_be_tall(tokens, idx))


def _item_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    level = _state(env).lists[-1]
    if not level.item_open:
        return ""
    level.item_open = False
    return "</section>"


def _paragraph_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    if not state.lists:
        if _only_an_image(tokens, idx):
            state.figure = True
            return ""
        return self.renderToken(tokens, idx, o, env)
    level = state.lists[-1]
    if level.item_open and level.fresh:
        level.fresh = False
        return ""
    if level.item_open:
        return "<br>"
    # Text of an item after its nested list: a block of its own at the item's depth.
    level.item_open = True
    return _item_section(len(state.lists) - 1, None)


def _paragraph_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    if state.lists:
        return ""
    if state.figure:
        state.figure = False
        return ""
    return self.renderToken(tokens, idx, o, env)


def _only_an_image(tokens: Sequence[Token], idx: int) -> bool:
    """Whether the paragraph opened at ``idx`` holds one image and nothing else.

    Such a paragraph is written as the image alone (class ``figure``, whose bottom
    margin is the paragraph's): the image is a block, so the paragraph around it
    added nothing but its margin and 30 characters.
    """
    inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
    return (
        not tokens[idx].hidden
        and inline is not None
        and inline.type == "inline"
        and [child.type for child in inline.children or []] == ["image"]
    )


# blocks ------------------------------------------------------------------------


def _fence(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    state = _state(env)
    _leave_fresh_item(state)
    block = code_block(token.content, token.info if token.type == "fence" else "", state.code_style)
    return state.marked(block, "code block", token)


def _leave_fresh_item(state: _State) -> None:
    if state.lists:
        state.lists[-1].fresh = False


def _table_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    # The columns, for a theme to draw the vertical rules once a column rather than on
    # every cell (a <col> with no style is left out of what is sent).
    columns = 0
    for token in tokens[idx + 1 :]:
        if token.type == "tr_close":
            break
        columns += token.type in {"th_open", "td_open"}
    html = f'<section class="table-wrap"><table><col span="{max(columns, 1)}">'
    return _state(env).marked(html, "table", tokens[idx])


def _table_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return "</table></section>"


def _nothing(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return ""


def _math_inline(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    drawn = formula(tokens[idx].content, inline=True, warn=state.warnings)
    return state.marked(drawn, "formula", tokens[idx])


def _math_block(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    drawn = formula(tokens[idx].content, inline=False, warn=state.warnings)
    return state.marked(drawn, "formula", tokens[idx])


# inline --------------------------------------------------------------------------


def _code_inline(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return f'<code class="inline-code">{escape(tokens[idx].content)}</code>'


def _link_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    state = _state(env)
    href = str(tokens[idx].attrGet("href") or "")
    if is_wechat_link(href):
        state.link_ends.append("</a>")
        return f'<a href="{escape(href)}">'
    if urlsplit(href).scheme in {"http", "https"}:
        number = state.references.setdefault(href, len(state.references) + 1)
        state.link_ends.append(f'</span><sup class="ref">[{number}]</sup>')
    else:
        # Relative links, anchors and mail addresses lead nowhere in WeChat: text only.
        state.link_ends.append("</span>")
    return '<span class="link">'


def _link_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return _state(env).link_ends.pop()


def _image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], o, env)
    src = str(token.attrGet("src") or "")
    figure = ' class="figure"' if _state(env).figure else ""
    return f'<img{figure} src="{escape(src)}" alt="{escape(alt)}">'


def _html_inline(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    content = tokens[idx].content
    if "task-list-item-checkbox" not in content:
        return content
    following = tokens[idx + 1] if idx + 1 < len(tokens) else None
    if following is not None and following.type == "text" and following.content[:1] == " ":
        # The space between the box and the text stays: at the start of a line, after
        # the floated marker, an ordinary space would be dropped.
        following.content = "\u00a0" + following.content[1:]
    return ""


# footnotes: numbered notes without anchors (WeChat removes ids and in-page links) --


def _footnote_ref(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return f'<sup class="footnote-ref">{tokens[idx].meta["id"] + 1}</sup>'


def _footnote_block_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return f'<section class="footnotes"><p class="notes-title">{NOTES_TITLE}</p>'


def _footnote_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return f'<section class="note"><sup>{tokens[idx].meta["id"] + 1}</sup> '


def _section_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType
) -> str:
    return "</section>"


RULES: dict[str, Rule] = {
    "bullet_list_open": _list_open,
    "ordered_list_open": _list_open,
    "bullet_list_close": _list_close,
    "ordered_list_close": _list_close,
    "list_item_open": _item_open,
    "list_item_close": _item_close,
    "paragraph_open": _paragraph_open,
    "paragraph_close": _paragraph_close,
    "fence": _fence,
    "code_block": _fence,
    "table_open": _table_open,
    "table_close": _table_close,
    "front_matter": _nothing,
    "math_inline": _math_inline,
    "math_inline_double": _math_block,
    "math_block": _math_block,
    "math_block_label": _math_block,
    "code_inline": _code_inline,
    "link_open": _link_open,
    "link_close": _link_close,
    "image": _image,
    "html_inline": _html_inline,
    "footnote_ref": _footnote_ref,
    "footnote_block_open": _footnote_block_open,
    "footnote_block_close": _section_close,
    "footnote_open": _footnote_open,
    "footnote_close": _section_close,
    "footnote_anchor": _nothing,
}


def markdown_parser() -> MarkdownIt:
    """The parser with every extension a post may use and the WeChat render rules."""
    md = (
        MarkdownIt("commonmark", {"html": True, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
        .use(footnote_plugin)
        .use(tasklists_plugin)
        .use(dollarmath_plugin, double_inline=True)
    )
    for name, rule in RULES.items():
        md.add_render_rule(name, rule)
    # Every image stays an image whatever its scheme, so that the publisher can
    # refuse a file: or javascript: one by its line rather than let it pass as
    # text; links never become <a href> unless they lead to WeChat (_link_open).
    md.validateLink = _keep_link  # type: ignore[method-assign]
    return md


def _keep_link(url: str) -> bool:
    return True


def _mark_note_paragraphs(tokens: Sequence[Token]) -> None:
    # Footnote paragraphs would break the line after the note's number.
    inside = False
    for token in tokens:
        if token.type == "footnote_open":
            inside = True
        elif token.type == "footnote_close":
            inside = False
        elif inside and token.type in {"paragraph_open", "paragraph_close"}:
            token.hidden = True


def _mark_inline_lines(tokens: Sequence[Token]) -> None:
    # Inline tokens (a formula in a paragraph) know no line; their paragraph does.
    for token in tokens:
        if token.type == "inline" and token.map:
            for child in token.children or []:
                child.meta.setdefault("line", token.map[0] + 1)


def _first_paragraph(tokens: Sequence[Token]) -> str:
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0 and index + 1 < len(tokens):
            children = tokens[index + 1].children or []
            text = "".join(
                child.content for child in children if child.type in {"text", "code_inline"}
            )
            if text.strip():
                return " ".join(text.split())
    return ""


def _references(references: Mapping[str, int]) -> str:
    if not references:
        return ""
    items = "".join(
        f'<p class="note">[{number}] {escape(url)}</p>' for url, number in references.items()
    )
    return (
        f'<section class="references"><p class="notes-title">{REFERENCES_TITLE}</p>'
        f"{items}</section>"
    )


@dataclass(frozen=True)
class Rendered:
    """A post rendered for WeChat, before its images are uploaded."""

    html: str
    """Every style inline; ``<img src>`` still as written in the post."""
    first_paragraph: str
    references: tuple[str, ...]
    warnings: tuple[str, ...]
    blocks: tuple[Block, ...] = ()
    """The code blocks, formulas and tables, with their size in :attr:`html`."""

    @property
    def images(self) -> tuple[str, ...]:
        """The image sources of the body, each once, in order of appearance."""
        seen: dict[str, None] = {}
        for match in _IMG_SRC.finditer(self.html):
            seen.setdefault(unescape(match.group(3)), None)
        return tuple(seen)

    def with_image_urls(self, urls: Mapping[str, str]) -> str:
        """The HTML with each image source in ``urls`` replaced by its URL."""

        def swap(match: re.Match[str]) -> str:
            url = urls.get(unescape(match.group(3)))
            if url is None:
                return match.group(0)
            return f"{match.group(1)}{match.group(2)}{escape(url)}{match.group(2)}"

        return _IMG_SRC.sub(swap, self.html)


def render(markdown: str, *, theme: str = DEFAULT_THEME, css: str | None = None) -> Rendered:
    """Render a post (front matter allowed, and skipped) in ``theme``; ``css`` is added last."""
    chosen = theme_named(theme)
    md = markdown_parser()
    state = _State(code_style=chosen.code_style)
    env: dict[str, Any] = {"wxm": state}
    tokens = md.parse(markdown, env)
    _mark_note_paragraphs(tokens)
    _mark_inline_lines(tokens)
    body = md.renderer.render(tokens, md.options, env)
    html = f'<section class="article">{body}{_references(state.references)}</section>'
    stylesheet = chosen.css() + (css or "")
    warnings = [*dropped_declarations(css or ""), *state.warnings]
    inlined, sizes = inline_measured(html, stylesheet)
    blocks = tuple(
        Block(kind, line, sizes[str(index)])
        for index, (kind, line) in enumerate(state.blocks)
        if str(index) in sizes
    )
    return Rendered(
        html=inlined,
        first_paragraph=_first_paragraph(tokens),
        references=tuple(state.references),
        warnings=tuple(warnings),
        blocks=blocks,
    )
