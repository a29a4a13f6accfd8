"""Everything the sandbox hands out a URL for, served under /mmbiz/ (unknown: 404).

Files are sent as they were uploaded; article links (news material, drafts,
published articles) get a plain HTML page. The article's content is the
account's HTML: it is cleaned again here (:func:`clean_article_html`) and
the page goes out under a Content-Security-Policy that lets nothing run, so
that markup stored before a cleaning rule existed cannot either. Also here:
the answer to an API path WeChat does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from wechat_material.sandbox.http.wire import ANY_METHOD, backend_of, error_reply, file_reply
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import clean_article_html
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.blobs import StoredFile
from wechat_material.sandbox.state.config import API_PREFIX
from wechat_material.sandbox.state.links import (
    ARTICLE_PAGE,
    DRAFT_PAGE,
    FILE,
    NEWS_PAGE,
    URL_PREFIX,
    Link,
)

DELETED_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>微信公众平台</title>'
    "</head><body><p>该内容已被发布者删除 (this content was deleted by its publisher)</p>"
    "</body></html>"
)
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' data: https:; style-src 'unsafe-inline'; "
        "media-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def article_page(article: Mapping[str, Any]) -> str:
    """A plain page showing an article's title, author and content."""
    if article.get("is_deleted"):
        return DELETED_PAGE
    title = escape(str(article.get("title", "")))
    author = escape(str(article.get("author", "")))
    byline = f'<p class="author">{author}</p>' if author else ""
    content = clean_article_html(str(article.get("content", ""))).html
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1>{byline}"
        f'<div class="content">{content}</div></article></body></html>'
    )


def not_found() -> Response:
    return PlainTextResponse("404 Not Found", status_code=404)


async def serve(request: Request) -> Response:
    backend = backend_of(request)
    link = backend.links.resolve(request.path_params["key"], backend.clock.now())
    if link is None:
        return not_found()
    if link.kind == FILE:
        return _file(backend, link)
    article = _page_article(backend, link)
    if article is None:
        return not_found()
    return HTMLResponse(article_page(article), headers=PAGE_HEADERS)


def _file(backend: SandboxBackend, link: Link) -> Response:
    if link.sha is None or link.format is None or link.size is None:
        return not_found()
    stored = StoredFile(link.owner or "", link.sha, link.size, link.format)
    try:
        reply = file_reply(backend, stored, attachment=False)
    except SandboxError:
        return not_found()
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply


def _page_article(backend: SandboxBackend, link: Link) -> dict[str, Any] | None:
    if link.owner is None or link.idx is None:
        return None
    try:
        if link.kind == NEWS_PAGE:
            return backend.materials.news_articles(link.appid, link.owner)[link.idx]
        if link.kind == DRAFT_PAGE:
            return backend.drafts.articles(link.appid, link.owner)[link.idx]
        if link.kind == ARTICLE_PAGE:
            return backend.publishing.page_article(link.owner, link.idx)
    except (SandboxError, IndexError):
        return None
    return None


async def unknown_api(request: Request) -> Response:
    """An API path WeChat does not have: HTTP 404 with a JSON 48001 body [assumed]."""
    backend = backend_of(request)
    reply = error_reply(backend, SandboxError(48001, f"no API at {request.url.path}"))
    reply.status_code = 404
    return reply


ROUTES: list[Route] = [
    Route(URL_PREFIX + "{key:path}", serve, methods=["GET", "HEAD"]),
    Route(API_PREFIX + "{rest:path}", unknown_api, methods=list(ANY_METHOD)),
]
