"""An article drawn by chromium as a phone shows it, inside WeChat's article stylesheet."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from wechat_material.articles.compact import WECHAT_CSS
from wechat_material.articles.preview import PHONE_WIDTH


@contextmanager
def phone_page(chromium: Any, html: str) -> Iterator[Any]:
    """A tab of ``chromium``, phone-wide, showing the article ``html`` as WeChat frames it."""
    page = chromium.new_page(viewport={"width": PHONE_WIDTH, "height": 600})
    try:
        page.set_content(
            f'<!doctype html><html><head><meta charset="utf-8"><style>{WECHAT_CSS}'
            "body{margin:0}.rich_media_content{padding:0 16px}</style></head><body>"
            f'<div class="rich_media_content">{html}</div></body></html>'
        )
        yield page
    finally:
        page.close()
