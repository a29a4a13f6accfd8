"""Code blocks for WeChat: Pygments colours as inline styles, whitespace that survives.

WeChat's editor collapses runs of spaces and drops the newlines of ``<pre>``
blocks, so a code block is written the way WeChat keeps it: every space as
``&nbsp;``, every line break as ``<br>``, on a single HTML line. The block
does not wrap (``white-space: nowrap``); its container scrolls sideways.
"""

from __future__ import annotations

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


def _token_style(style: StyleMeta, token: _TokenType, text_colour: str) -> str:
    spec = style.style_for_token(token)
    declarations = []
    if spec["color"] and spec["color"].lower() != text_colour:
        declarations.append(f"color:#{spec['color']}")
    if spec["bold"]:
        declarations.append("font-weight:bold")
    if spec["italic"]:
        declarations.append("font-style:italic")
    return ";".join(declarations)


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
    runs: list[tuple[str, str]] = []  # (style, text)
    for token, value in lexer_for(language).get_tokens(code):
        if not value:
            continue
        if runs and not value.strip():
            runs[-1] = (runs[-1][0], runs[-1][1] + value)
            continue
        css = _token_style(style, token, text_colour)
        if runs and runs[-1][0] == css:
            runs[-1] = (css, runs[-1][1] + value)
        else:
            runs.append((css, value))
    return "".join(
        f'<span style="{css}">{kept_whitespace(text)}</span>' if css else kept_whitespace(text)
        for css, text in runs
    )


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
    """A whole code block: a scrolling container holding the highlighted lines."""
    lines = highlight(code, language, style_name)
    return (
        f'<section class="code-block" style="{colours(style_name)}">'
        f'<pre class="code"><code class="code-lines">{lines}</code></pre></section>'
    )
