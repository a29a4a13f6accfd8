"""Math (``$…$`` and ``$$…$$``) as SVG, drawn by ziamath in pure Python.

The SVG is plain paths (no ``<symbol>``/``<use>`` with ids, which WeChat
strips). A formula ziamath cannot draw is shown as code, with a warning.
"""

from __future__ import annotations

import re
from html import escape

import ziamath

INLINE_SIZE = 16.0
BLOCK_SIZE = 18.0


_PATH_DATA = re.compile(r'\bd="([^"]*)"')


def _short_path(match: re.Match[str]) -> str:
    # Path data needs no space around commands nor before a minus sign.
    data = re.sub(r"\s*([A-Za-z])\s*", r"\1", match.group(1))
    return 'd="' + data.replace(" -", "-") + '"'


def _svg(latex: str, *, inline: bool) -> str:
    # svg2=False writes every glyph as a path instead of <symbol>/<use> pairs.
    ziamath.config.svg2 = False
    # Tenths of a pixel are finer than a phone shows, and keep the paths short:
    # WeChat counts every character of the HTML against its limit.
    ziamath.config.precision = 1
    size = INLINE_SIZE if inline else BLOCK_SIZE
    svg = str(ziamath.Latex(latex, size=size, inline=inline).svg())
    return _PATH_DATA.sub(_short_path, svg)


def formula(latex: str, *, inline: bool, warn: list[str]) -> str:
    """HTML for one formula; on failure its source as code and a warning in ``warn``."""
    latex = latex.strip()
    try:
        svg = _svg(latex, inline=inline)
    except Exception as exc:  # ziamath raises many kinds on LaTeX it does not know
        warn.append(f"math {latex!r} could not be drawn ({type(exc).__name__}); shown as code")
        tag = "code" if inline else "pre"
        return f'<{tag} class="math-source">{escape(latex)}</{tag}>'
    if inline:
        return f'<span class="math-inline">{svg}</span>'
    return f'<section class="math-block">{svg}</section>'
