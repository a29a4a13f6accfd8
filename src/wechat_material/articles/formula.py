"""Math (``$…$`` and ``$$…$$``) as SVG, drawn by ziamath in pure Python.

The SVG is plain paths (no ``<symbol>``/``<use>`` with ids, which WeChat
strips). A formula ziamath cannot draw is shown as code, with a warning.
"""

from __future__ import annotations

from html import escape

import ziamath

INLINE_SIZE = 16.0
BLOCK_SIZE = 18.0


def _svg(latex: str, *, inline: bool) -> str:
    # svg2=False writes every glyph as a path instead of <symbol>/<use> pairs.
    ziamath.config.svg2 = False
    size = INLINE_SIZE if inline else BLOCK_SIZE
    return str(ziamath.Latex(latex, size=size, inline=inline).svg())


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
