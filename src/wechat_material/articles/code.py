"""Code blocks for WeChat: Pygments colours as inline styles, whitespace that survives.

WeChat's editor collapses runs of spaces and drops the newlines of ``<pre>``
blocks, so a code block is written the way WeChat keeps it: every space as
``&nbsp;``, every line break as ``<br>``, on a single HTML line. The block
does not wrap (``white-space: nowrap``); its container scrolls sideways.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import Token, _TokenType
from pygments.util import ClassNotFound

TAB = "    "


def lexer_for(language: str) -> Lexer:
    """The lexer for a fence's language (plain text when unknown or not given)."""
    name = language.strip().split()[0] if language.strip() else ""
    if name:
        try:
            return get_lexer_by_name(name, stripnl=False, ensurenl=False)
        except ClassNotFound:
            pass
    return TextLexer(stripnl=False, ensurenl=False)


@dataclass(frozen=True)
class _Look:
    """How a token is drawn: its colour (None: the block's) and weight and slant."""

    colour: str | None = None
    bold: bool = False
    italic: bool = False

    def wrap(self, html: str) -> str:
        # <b> and <i> say bold and italic in fewer characters than a style does.
        tag = "b" if self.bold else "i" if self.italic else "span"
        declarations = [f"color:#{self.colour}"] if self.colour else []
        if self.bold and self.italic:
            declarations.append("font-style:italic")
        if tag == "span" and not declarations:
            return html
        style = f' style="{";".join(declarations)}"' if declarations else ""
        return f"<{tag}{style}>{html}</{tag}>"


def _look(style: StyleMeta, token: _TokenType, text_colour: str) -> _Look:
    spec = style.style_for_token(token)
    colour = spec["color"].lower() if spec["color"] else None
    return _Look(
        None if colour == text_colour else colour, bool(spec["bold"]), bool(spec["italic"])
    )


def kept_whitespace(text: str) -> str:
    """Escaped ``text`` with its spaces, tabs and line breaks in the form WeChat keeps."""
    text = escape(text, quote=False).replace("\t", TAB).replace(" ", "&nbsp;")
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def highlight(code: str, language: str, style_name: str) -> str:
    """The inner HTML of a code block: coloured spans, ``&nbsp;`` and ``<br>``.

    Text in the block's own colour needs no span, and neighbours of one style share
    a span; whitespace shows no colour, so it joins the span before it.
    """
    style = get_style_by_name(style_name)
    text_colour = _text_colour(style)
    code = code.removesuffix("\n")
    runs: list[tuple[_Look, str]] = []
    for token, value in lexer_for(language).get_tokens(code):
        if not value:
            continue
        if runs and not value.strip():
            runs[-1] = (runs[-1][0], runs[-1][1] + value)
            continue
        look = _look(style, token, text_colour)
        if runs and runs[-1][0] == look:
            runs[-1] = (look, runs[-1][1] + value)
        else:
            runs.append((look, value))
    return "".join(look.wrap(kept_whitespace(text)) for look, text in runs)


def _text_colour(style: StyleMeta) -> str:
    """The colour of plain text in a block of ``style`` (hex digits, lower case)."""
    found = style.style_for_token(Token.Text)["color"] or style.style_for_token(Token)["color"]
    return (found or "333333").lower()


def colours(style_name: str) -> str:
    """The background and text colour of a Pygments style, as declarations.

    Dark styles leave plain text uncoloured, counting on a light text colour
    around it: the block sets one, or the article's dark text would show.
    """
    style = get_style_by_name(style_name)
    return f"background:{style.background_color or '#f8f8f8'};color:#{_text_colour(style)}"


def code_block(code: str, language: str, style_name: str) -> str:
    """A whole code block: a scrolling ``<pre>`` holding the highlighted lines.

    The ``<pre>`` is the box (background, padding, scrolling) and says every
    property of its own that a stylesheet might set, so no container is needed
    around it; it has both classes, ``code-block`` and ``code``.
    """
    lines = highlight(code, language, style_name)
    return (
        f'<pre class="code-block code" style="{colours(style_name)}">'
        f'<code class="code-lines">{lines}</code></pre>'
    )
