"""The HTML pages behind article URLs (news material, drafts, published articles)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

DELETED_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>微信公众平台</title>'
    "</head><body><p>该内容已被发布者删除 (this content was deleted by its publisher)</p>"
    "</body></html>"
)


def article_page(article: Mapping[str, Any]) -> str:
    """A plain page showing an article's title, author and content."""
    if article.get("is_deleted"):
        return DELETED_PAGE
    title = escape(str(article.get("title", "")))
    author = escape(str(article.get("author", "")))
    byline = f'<p class="author">{author}</p>' if author else ""
    # The content is the account's own HTML (scripts were stripped when it was saved).
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1>{byline}"
        f'<div class="content">{article.get("content", "")}</div></article></body></html>'
    )
