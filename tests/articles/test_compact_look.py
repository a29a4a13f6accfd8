"""Compacted HTML looks the same as the styles inlined in full, in a real browser.

Each example post is rendered twice in every theme: as css-inline writes it
(every declaration, formulas as ziamath draws them) and compacted as it is
sent. Both are drawn by chromium at phone width inside WeChat's article
stylesheet (the rules the compaction relies on); the pictures must match.
"""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from tests.articles.phone import phone_page
from tests.console.conftest import browser  # noqa: F401 (the console tests' chromium)

from wechat_material.articles import formula, rendering, themes

pytestmark = pytest.mark.slow

EXAMPLES = sorted((Path(__file__).parents[2] / "docs" / "examples").glob("*.md"))
# A formula's glyphs drawn as one path are antialiased a shade differently (up to 13 of
# 255 seen); anything moved, recoloured or resized differs by far more.
MAX_SHADE = 32


def _picture(chromium: Any, html: str) -> Image.Image:
    with phone_page(chromium, html) as page:
        return Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")


def _in_full(markdown: str, theme: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(formula, "compact_svg", lambda svg: svg)
        patch.setattr(rendering, "inline_measured", partial(themes.inline_measured, compact=False))
        return rendering.render(markdown, theme=theme).html


@pytest.mark.parametrize("theme", sorted(themes.THEMES))
@pytest.mark.parametrize("post", EXAMPLES, ids=lambda path: path.stem)
def test_compacted_html_draws_the_same_picture(
    browser: Any,  # noqa: F811 (the fixture imported above)
    post: Path,
    theme: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    markdown = post.read_text("utf-8")
    compacted = rendering.render(markdown, theme=theme).html
    full = _in_full(markdown, theme, monkeypatch)
    assert len(compacted) < len(full)

    before, after = _picture(browser, full), _picture(browser, compacted)

    assert before.size == after.size
    histogram = ImageChops.difference(before, after).convert("L").histogram()
    changed = sum(histogram[MAX_SHADE:])
    assert not changed, f"{changed} pixels differ by more than a shade"
