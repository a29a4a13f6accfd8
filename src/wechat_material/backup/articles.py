"""Articles in a backup: the pictures they use, and copies that work offline or elsewhere.

WeChat article HTML points at its pictures on ``mmbiz.qpic.cn`` (``src`` or
``data-src``, HTML-escaped ``&amp;`` and all), and each article has a cover
(``thumb_url``). A backup keeps each such picture, by URL; a rendered copy of
the article points at the kept files, and a restore points the HTML at the
pictures uploaded to the other account. URLs are replaced exactly as they are
written in the HTML, so nothing else in it changes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

_ANY_SOURCE = re.compile(r"""\s(data-src|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


def articles_of(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The articles of a listed item (news material, draft or published post)."""
    content = raw.get("content")
    if not isinstance(content, dict):
        return []
    articles = content.get("news_item")
    return [a for a in articles if isinstance(a, dict)] if isinstance(articles, list) else []


def content_images(content: str) -> list[str]:
    """The picture URLs an article's HTML uses (unescaped), in order, each once."""
    found: dict[str, None] = {}
    for tag in _IMG_TAG.findall(content):
        for match in _ANY_SOURCE.finditer(tag):
            raw = match.group(2) if match.group(2) is not None else match.group(3)
            url = html.unescape(raw).strip()
            if url.startswith(("http://", "https://")):
                found.setdefault(url, None)
    return list(found)


def picture_urls(raw: Mapping[str, Any]) -> list[str]:
    """Every picture a listed item's articles use: content images and covers."""
    found: dict[str, None] = {}
    for article in articles_of(raw):
        for url in content_images(str(article.get("content") or "")):
            found.setdefault(url, None)
        thumb = article.get("thumb_url")
        if isinstance(thumb, str) and thumb.startswith(("http://", "https://")):
            found.setdefault(thumb, None)
    return list(found)


def replace_images(content: str, new_urls: Mapping[str, str]) -> str:
    """``content`` with each picture URL in an ``<img>`` replaced by ``new_urls[url]``."""

    def tag(match: re.Match[str]) -> str:
        def source(found: re.Match[str]) -> str:
            quoted = found.group(2) if found.group(2) is not None else found.group(3)
            url = html.unescape(quoted).strip()
            if url not in new_urls:
                return found.group(0)
            return f' {found.group(1)}="{html.escape(new_urls[url], quote=True)}"'

        return _ANY_SOURCE.sub(source, match.group(0))

    return _IMG_TAG.sub(tag, content)


def render_page(
    raw: Mapping[str, Any], title: str, local: Mapping[str, str], *, head: str = ""
) -> str:
    """A standalone HTML page of a listed item's articles, pictures from ``local`` paths.

    The articles' HTML is cleaned as the sandbox cleans it (what could run
    goes); ``head`` goes into the page's ``<head>`` first (its policy).
    """
    from wechat_material.article_html import clean_article_html

    parts = [
        "<!doctype html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        head,
        f"<title>{html.escape(title)}</title>",
        "<style>body{max-width:720px;margin:2em auto;font-family:sans-serif;line-height:1.6}"
        "img{max-width:100%}.cover{max-height:240px}article{margin-bottom:3em}</style>",
        '</head><body><p><a href="../../index.html">&larr; backup index</a></p>',
    ]
    for article in articles_of(raw):
        parts.append("<article>")
        parts.append(f"<h1>{html.escape(str(article.get('title') or ''))}</h1>")
        if article.get("author"):
            parts.append(f"<p><em>{html.escape(str(article['author']))}</em></p>")
        thumb = article.get("thumb_url")
        if isinstance(thumb, str) and thumb in local:
            parts.append(f'<img class="cover" src="{html.escape(local[thumb])}" alt="">')
        content = replace_images(str(article.get("content") or ""), local)
        parts.append(clean_article_html(content).html)
        parts.append("</article>")
    parts.append("</body></html>")
    return "\n".join(parts)


def titles(raw: Mapping[str, Any]) -> list[str]:
    return [str(a.get("title") or "") for a in articles_of(raw)]
