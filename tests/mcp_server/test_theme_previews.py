"""The themes' preview images, drawn by a real browser from the sample post.

``wechat://themes/NAME/preview.png`` serves images shipped with the package;
this test draws each one again in chromium from the same HTML the
``preview.html`` resource serves, and checks the shipped one matches its
size. ``pytest tests/mcp_server/test_theme_previews.py --screenshots
src/wechat_material/mcp_server/previews`` redraws them (after a theme or the
sample post changes).
"""

from __future__ import annotations

import io
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

# The console's browser (chromium through Playwright) and its screenshot folder.
from console.conftest import browser, screenshots  # noqa: F401 - fixtures
from wechat_material.articles import THEMES
from wechat_material.mcp_server.server import PREVIEW_WIDTH, preview_html

pytestmark = pytest.mark.slow

SHIPPED = files("wechat_material.mcp_server") / "previews"


@pytest.mark.parametrize("theme", list(THEMES))
def test_each_theme_has_a_preview_image_as_the_browser_draws_it(
    theme: str,
    browser: Any,  # noqa: F811 - the fixture imported above
    screenshots: Path,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": PREVIEW_WIDTH, "height": 100})
    try:
        page.set_content(preview_html(theme))
        drawn = page.screenshot(full_page=True)
    finally:
        page.close()
    (screenshots / f"{theme}.png").write_bytes(drawn)
    with Image.open(io.BytesIO(drawn)) as fresh:
        fresh_size = fresh.size
    shipped = (SHIPPED / f"{theme}.png").read_bytes()
    with Image.open(io.BytesIO(shipped)) as image:
        assert image.format == "PNG"
        assert image.size[0] == fresh_size[0] == PREVIEW_WIDTH
        # Fonts differ between machines by a line or two, not by a paragraph.
        assert abs(image.size[1] - fresh_size[1]) < fresh_size[1] * 0.15
