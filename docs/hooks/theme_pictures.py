"""Draw the publishing themes for the docs: docs/images/theme-NAME.png, one per theme.

Each picture is the sample post (docs/examples/sample.md) rendered by ``wxm publish
--preview`` in that theme, as Debian's chromium shows it at phone width (the top of
the article). Run it again after changing a theme::

    .venv/bin/python docs/hooks/theme_pictures.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from wechat_material.articles import THEMES

DOCS = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
WXM = Path(sys.executable).parent / "wxm"


def main() -> None:
    sample = DOCS / "examples" / "sample.md"
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 420, "height": 900}, device_scale_factor=1)
        for theme in THEMES:
            preview = Path(work) / f"{theme}.html"
            subprocess.run(  # noqa: S603 - the project's own wxm, fixed arguments
                [
                    str(WXM),
                    "publish",
                    str(sample),
                    "--theme",
                    theme,
                    "--no-write-back",
                    "--preview-out",
                    str(preview),
                ],
                check=True,
            )
            page.goto(preview.as_uri())
            box = page.locator("main").bounding_box()
            assert box is not None
            page.screenshot(
                path=str(DOCS / "images" / f"theme-{theme}.png"),
                clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": 760},
            )
        browser.close()


if __name__ == "__main__":
    main()
