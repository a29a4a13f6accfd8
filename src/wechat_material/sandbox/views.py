"""How stored articles and lists look on the wire (URLs filled in, pages checked)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wechat_material.limits import PAGE_MAX, PAGE_MIN
from wechat_material.sandbox.articles import news_item
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.links import Links, link_url

MAX_OFFSET = 2**31 - 1


def check_page(offset: int, count: int) -> None:
    """batchget paging: offset ≥ 0 and count 1..20, else 40097 [assumed]."""
    if not 0 <= offset <= MAX_OFFSET or not PAGE_MIN <= count <= PAGE_MAX:
        raise SandboxError(40097, f"offset must be ≥ 0 and count {PAGE_MIN}..{PAGE_MAX}")


def render_articles(
    links: Links,
    kind: str,
    owner: str,
    articles: Sequence[Mapping[str, Any]],
    base: str,
    *,
    with_content: bool = True,
    thumb_urls: bool = True,
) -> list[dict[str, Any]]:
    """The ``news_item`` list of a news material, draft or published article."""
    pages = links.page_keys(kind, owner)
    items = []
    for idx, article in enumerate(articles):
        thumb_url = None
        if thumb_urls:
            key = links.file_key(article["thumb_media_id"])
            thumb_url = link_url(base, key) if key else ""
        page = pages.get(idx)
        items.append(
            news_item(
                article,
                url=link_url(base, page) if page else "",
                thumb_url=thumb_url,
                with_content=with_content,
            )
        )
    return items
