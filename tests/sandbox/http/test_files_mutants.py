"""What the sandbox's own URLs (/mmbiz/…) serve, to the byte: article pages, files, 404s.

The article page shows the account's title and author as text and the cleaned
content; a served file is the uploaded bytes, shown in place (no attachment), never
sniffed. A link row missing what it needs is a 404, not a server error.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, SandboxBackend

from ..wechat_wire import WeChat, article, media

pytestmark = pytest.mark.anyio

HEAD = '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'


async def page_of(wx: WeChat, backend: SandboxBackend, stored: dict[str, Any]) -> httpx.Response:
    """The page of a draft whose one article is stored exactly as ``stored``."""
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)]})
    got = await wx.call("/cgi-bin/draft/get", {"media_id": draft["media_id"]})
    with backend.storage.transaction() as db:
        db.execute("UPDATE drafts SET articles = ?", (json.dumps([stored]),))
    return await wx.http.get(got["news_item"][0]["url"])


async def test_an_article_page_to_the_byte(wx: WeChat, backend: SandboxBackend) -> None:
    stored = {"title": "标题 <i>&", "author": "Ann <b>&</b> Bob", "content": "<p>正文</p>"}
    page = await page_of(wx, backend, stored)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text == (
        f"{HEAD}<title>标题 &lt;i&gt;&amp;</title></head><body><article>"
        "<h1>标题 &lt;i&gt;&amp;</h1>"
        '<p class="author">Ann &lt;b&gt;&amp;&lt;/b&gt; Bob</p>'
        '<div class="content"><p>正文</p></div></article></body></html>'
    )


@pytest.mark.parametrize("author", [None, ""])
async def test_no_author_no_byline(wx: WeChat, backend: SandboxBackend, author: str | None) -> None:
    stored: dict[str, Any] = {"title": "T", "content": "<p>c</p>"}
    if author is not None:
        stored["author"] = author
    page = await page_of(wx, backend, stored)
    assert page.text == (
        f"{HEAD}<title>T</title></head><body><article><h1>T</h1>"
        '<div class="content"><p>c</p></div></article></body></html>'
    )


async def test_an_article_stored_without_its_fields_shows_them_empty(
    wx: WeChat, backend: SandboxBackend
) -> None:
    # An article written by an older sandbox may lack a field: shown empty, never "None".
    page = await page_of(wx, backend, {})
    assert page.text == (
        f"{HEAD}<title></title></head><body><article><h1></h1>"
        '<div class="content"></div></article></body></html>'
    )


async def test_a_served_file_is_its_bytes_shown_in_place(wx: WeChat) -> None:
    data = media("image.png")
    reply = await wx.upload("/cgi-bin/media/uploadimg", "image.png", data)
    served = await wx.http.get(reply.json()["url"])
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-length"] == str(len(data))
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "no-cache, must-revalidate"
    assert "content-disposition" not in served.headers  # an <img> shows it, no download


async def test_an_unknown_link_is_a_plain_404(client: httpx.AsyncClient) -> None:
    reply = await client.get("/mmbiz/mmbiz_jpg/nothing/0")
    assert reply.status_code == 404
    assert reply.text == "404 Not Found"
    assert reply.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("kind", "idx", "blob", "size", "fmt"),
    [
        ("file", None, False, 10, "png"),  # no blob
        ("file", None, True, None, "png"),  # no size
        ("file", None, True, 10, None),  # no format
        ("draft", None, False, None, None),  # a page link without its article's index
    ],
)
async def test_a_link_missing_what_it_needs_is_a_404(
    wx: WeChat,
    backend: SandboxBackend,
    kind: str,
    idx: int | None,
    blob: bool,
    size: int | None,
    fmt: str | None,
) -> None:
    data = media("thumb.jpg")
    thumb = await wx.add_material("thumb", "thumb.jpg", data)
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)]})
    sha = hashlib.sha256(data).hexdigest() if blob else None  # a blob the store holds
    with backend.storage.transaction() as db:
        db.execute(
            "INSERT INTO links (key, kind, appid, owner, idx, sha, size, format) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("odd/1", kind, DEMO_APPID, draft["media_id"], idx, sha, size, fmt),
        )
    reply = await wx.http.get("/mmbiz/odd/1")
    assert (reply.status_code, reply.text) == (404, "404 Not Found")
