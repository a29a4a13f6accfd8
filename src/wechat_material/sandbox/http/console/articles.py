"""Articles as readers see them: news material, drafts and published articles.

Each article shows in a phone-width frame (375 px): a page of its own
(``/ui/frame/...``) inside an ``<iframe sandbox>`` with a Content Security
Policy that allows no script, so an article's HTML never runs in the
console's origin. Beside it: what was sent and what clean-up dropped. The
ledger lists which article uses which media id or image URL.
"""

from __future__ import annotations

from wechat_material.sandbox.http.console.layout import copy_button, e, q, when
from wechat_material.sandbox.state.article_review import dropped_parts
from wechat_material.sandbox.state.articles import SENT_CONTENT, clean_article_html
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.inventory import ArticleSet, Use, article_sets, ledger

PHONE_WIDTH = 375
KIND_NAMES = {"draft": "draft", "article": "published", "news": "news material"}
# The frame may show pictures and styles, never run anything.
FRAME_POLICY = (
    "sandbox; default-src 'none'; img-src 'self' http: https: data:; "
    "media-src 'self' http: https:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


def reader_content(backend: SandboxBackend, html: str) -> str:
    """The content as a reader gets it: the clean-up WeChat applies, in one place."""
    return clean_article_html(html, backend.links.is_image_url).html


def article_url(kind: str, owner: str, idx: int) -> str:
    return f"/ui/articles/{q(kind)}/{q(owner)}/{idx}"


def _set(article_set: ArticleSet) -> str:
    items = []
    for idx, article in enumerate(article_set.articles):
        gone = article_set.deleted[idx] if idx < len(article_set.deleted) else False
        items.append(
            f'<li><a href="{article_url(article_set.kind, article_set.owner, idx)}" '
            f'data-testid="article-link">{e(article.get("title") or "(untitled)")}</a>'
            f"{' <span class=badge>deleted</span>' if gone else ''}"
            f' <small class="muted">{e(article.get("author", ""))}</small></li>'
        )
    return (
        f'<section class="card" data-testid="article-set" data-kind="{e(article_set.kind)}" '
        f'data-owner="{e(article_set.owner)}"><h3><span class="badge">'
        f"{KIND_NAMES.get(article_set.kind, article_set.kind)}</span> "
        f"<code>{e(article_set.owner)}</code>{copy_button(article_set.owner)} "
        f'<small class="muted">{e(article_set.appid)} · {when(article_set.updated_at)}</small></h3>'
        f"<ol>{''.join(items)}</ol></section>"
    )


def _ledger(uses: list[Use]) -> str:
    rows = "".join(
        f'<tr data-testid="ledger-row"><td><code>{_reference(use.reference)}</code></td>'
        f"<td>{e(use.how)}</td><td>{KIND_NAMES.get(use.kind, use.kind)}</td>"
        f'<td><a href="{article_url(use.kind, use.owner, use.idx)}">'
        f"{e(use.title or use.owner)}</a></td></tr>"
        for use in uses
    )
    return (
        '<h2>Ledger</h2><table data-testid="ledger"><tr><th>media id or image URL</th>'
        f"<th>used as</th><th>in</th><th>article</th></tr>{rows}</table>"
        if uses
        else ""
    )


def _reference(reference: str) -> str:
    if reference.startswith(("http://", "https://", "/")):
        return e(reference)
    return f'<a href="/ui/media/{q(reference)}">{e(reference)}</a>'


def articles_body(backend: SandboxBackend, appid: str = "") -> str:
    sets = article_sets(backend, appid or None)
    listed = "".join(_set(s) for s in sets) or '<p class="muted">No article yet.</p>'
    return f'<div id="live" data-live="calls">{listed}{_ledger(ledger(sets))}</div>'


def _frame(article_set: ArticleSet, idx: int) -> str:
    src = f"/ui/frame/{q(article_set.kind)}/{q(article_set.owner)}/{idx}"
    return (
        f'<div class="phone"><iframe sandbox src="{src}" width="{PHONE_WIDTH}" height="667" '
        f'title="the article at phone width" data-testid="article-frame"></iframe></div>'
    )


def article_body(backend: SandboxBackend, article_set: ArticleSet, idx: int) -> str:
    article = article_set.articles[idx]
    kept = str(article.get("content", ""))
    sent = str(article.get(SENT_CONTENT, kept))
    # The cleaner's own list of what it took out of the HTML as sent, with the links the
    # account has now (as the frame beside it shows the content).
    dropped = dropped_parts(sent, clean_article_html(sent, backend.links.is_image_url))
    dropped_list = (
        "".join(
            f'<li data-testid="dropped"><strong>{e(d.what)}</strong>'
            f"{' ×' + str(d.count) if d.count > 1 else ''} <code>{e(d.detail)}</code></li>"
            for d in dropped
        )
        or '<li class="muted" data-testid="nothing-dropped">nothing: it was kept as sent</li>'
    )
    fields = "".join(
        f"<tr><th>{name}</th><td>{e(article.get(name, ''))}</td></tr>"
        for name in (
            "author",
            "digest",
            "content_source_url",
            "show_cover_pic",
            "need_open_comment",
        )
        if article.get(name) not in (None, "")
    )
    cover = article.get("thumb_media_id")
    if cover:
        fields += (
            f'<tr><th>cover</th><td><a href="/ui/media/{q(str(cover))}">{e(cover)}</a></td></tr>'
        )
    siblings = " ".join(
        f'<a href="{article_url(article_set.kind, article_set.owner, i)}"'
        f"{' aria-current=page' if i == idx else ''}>{i + 1}</a>"
        for i in range(len(article_set.articles))
    )
    return (
        f"<p>{KIND_NAMES.get(article_set.kind, article_set.kind)} "
        f"<code>{e(article_set.owner)}</code>"
        f" · {e(article_set.appid)} · article {siblings}</p>"
        f'<div class="article-view">{_frame(article_set, idx)}<div class="beside">'
        f"<h2>What WeChat dropped</h2><ul>{dropped_list}</ul>"
        f"<table>{fields}</table>"
        '<details data-testid="sent-html"><summary>HTML as sent</summary>'
        f"<pre>{e(sent)}</pre></details></div></div>"
    )


def frame_page(backend: SandboxBackend, article_set: ArticleSet, idx: int) -> str:
    """The article alone, as a phone shows it."""
    article = article_set.articles[idx]
    title = e(article.get("title", ""))
    author = e(article.get("author", ""))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>"
        'body{margin:0;padding:20px 16px;font:17px/1.6 -apple-system,"PingFang SC",'
        '"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#333;background:#fff}'
        "h1{font-size:22px;line-height:1.4;margin:0 0 14px}"
        ".meta{color:#576b95;font-size:15px;margin-bottom:22px}"
        ".meta span{color:rgba(0,0,0,.3);margin-left:8px}"
        "img{max-width:100%!important;height:auto!important}"
        "</style></head><body>"
        f'<h1 id="title">{title}</h1><div class="meta">{author}'
        f"<span>{when(article_set.updated_at)[:10]}</span></div>"
        f'<div id="content">{reader_content(backend, str(article.get("content", "")))}</div>'
        "</body></html>"
    )
