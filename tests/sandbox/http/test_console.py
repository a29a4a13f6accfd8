"""The console's pages, over HTTP without a browser: what they show, escaping, headers."""

from __future__ import annotations

import re
from html import escape, unescape

import httpx
import pytest

from wechat_material.article_html import clean_article_html
from wechat_material.sandbox import DEMO_APPID, SandboxBackend
from wechat_material.sandbox.state.article_review import dropped_parts

from ..wechat_wire import WeChat, article, media

pytestmark = pytest.mark.anyio
HOSTILE = '<script>alert("x")</script>'
PAGES = ("/", "/ui/gallery", "/ui/articles", "/ui/journal", "/ui/controls")


async def _draft(wx: WeChat, content: str, title: str = "标题") -> tuple[str, str]:
    thumb = await wx.add_image()
    body = {"articles": [article(thumb, title=title, content=content)]}
    return (await wx.call("/cgi-bin/draft/add", body))["media_id"], thumb


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_answers_html_that_is_never_cached(
    wx: WeChat, client: httpx.AsyncClient, path: str
) -> None:
    reply = await client.get(path)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["x-frame-options"] == "DENY"
    assert 'src="/ui/static/console.js"' in reply.text


async def test_reading_pages_is_neither_counted_nor_journalled(
    client: httpx.AsyncClient, backend: SandboxBackend
) -> None:
    for path in PAGES:
        await client.get(path)
    assert backend.journal.latest(10) == []
    assert backend.counters.snapshot(DEMO_APPID) == {}


async def test_the_accounts_page_shows_tokens_masked_and_quota_use(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    await wx.get("/cgi-bin/material/get_materialcount")
    page = (await client.get("/")).text
    assert wx.token not in page
    assert wx.token[:4] + "…" in page
    assert "2h 00m" in page  # time left on the frozen clock
    assert 'data-path="/cgi-bin/material/get_materialcount"' in page
    assert "in good standing" in page


async def test_stored_text_is_escaped_everywhere(wx: WeChat, client: httpx.AsyncClient) -> None:
    name = "<i onclick=steal()>cat.jpg"  # a file name has no slash
    image = await wx.add_material("image", name, media("image.jpg"))
    media_id, _ = await _draft(wx, "<p>body</p>", title=HOSTILE)
    for path, shown in (
        ("/ui/gallery", name),
        (f"/ui/media/{image}", name),
        ("/ui/articles", HOSTILE),
        (f"/ui/articles/draft/{media_id}/0", HOSTILE),
    ):
        page = (await client.get(path)).text
        assert shown not in page, path
        assert escape(shown) in page, path


async def test_an_article_frame_runs_nothing_and_shows_the_cleaned_content(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    media_id, _ = await _draft(
        wx, '<p>正文</p><script>steal()</script><img src="https://example.com/x.png">'
    )
    frame = await client.get(f"/ui/frame/draft/{media_id}/0")
    policy = frame.headers["content-security-policy"]
    assert policy.startswith("sandbox;")
    assert "script-src" not in policy  # default-src 'none' covers scripts
    assert "steal()" not in frame.text
    assert "example.com" not in frame.text
    assert "<p>正文</p>" in frame.text

    page = (await client.get(f"/ui/articles/draft/{media_id}/0")).text
    assert 'data-testid="dropped"><strong>&lt;script&gt;</strong>' in page
    assert "https://example.com/x.png" in page  # named among what was dropped


async def test_what_was_sent_never_shows_in_api_replies(wx: WeChat) -> None:
    media_id, _ = await _draft(wx, "<p>kept</p><script>gone()</script>")
    reply = await wx.call("/cgi-bin/draft/get", {"media_id": media_id})
    assert set(reply["news_item"][0]) >= {"content", "title"}
    assert "gone()" not in str(reply)


async def test_latest_leads_to_the_newest_article(wx: WeChat, client: httpx.AsyncClient) -> None:
    assert (await client.get("/ui/latest")).status_code == 404
    await _draft(wx, "<p>one</p>")
    newest, _ = await _draft(wx, "<p>two</p>")
    reply = await client.get("/ui/latest")
    assert reply.status_code == 303
    assert reply.headers["location"] == f"/ui/articles/draft/{newest}/0"


async def test_unknown_items_answer_404_pages(client: httpx.AsyncClient) -> None:
    for path in ("/ui/media/nope", "/ui/articles/draft/nope/0", "/ui/journal/99", "/ui/file/nope"):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get("/ui/articles/bogus/x/0")).status_code == 404
    assert (await client.get("/ui/static/../admin.py")).status_code == 404


async def test_the_console_serves_files_the_api_gives_no_url_for(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    voice = await wx.add_material("voice", "voice.mp3", media("voice-2s.mp3"))
    reply = await client.get(f"/ui/file/{voice}")
    assert reply.status_code == 200
    assert reply.content == media("voice-2s.mp3")
    # An attachment: <audio> plays it; a navigation to it saves it, never shows a page.
    assert reply.headers["content-disposition"].startswith("attachment;")


async def test_the_ledger_says_which_article_uses_which_media(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    _, thumb = await _draft(wx, "<p>body</p>", title="Uses the cover")
    page = (await client.get("/ui/articles")).text
    assert f'<a href="/ui/media/{thumb}">{thumb}</a></code></td><td>cover</td>' in page
    detail = (await client.get(f"/ui/media/{thumb}")).text
    assert "Uses the cover" in detail


def test_dropped_parts_names_what_clean_up_took_out() -> None:
    sent = '<p style="color:red">a</p><script>x()</script><img src="https://e.com/i.png">'
    cleaned = clean_article_html(sent, lambda _url: False)
    found = {(d.what, d.detail) for d in dropped_parts(sent, cleaned)}
    assert ("<script>", "x()") in found
    assert ("<img> not hosted by WeChat", "https://e.com/i.png") in found
    assert dropped_parts("<p>a</p>", clean_article_html("<p>a</p>")) == []


HOSTILE_ARTICLE = (
    '<p onclick="steal()" style="background:url(http://e.com/t)">hi</p>'
    "<script>steal()</script><iframe src=https://e.com/f></iframe>"
    '<a href="javascript:steal()">x</a><form><input name=q></form>'
    '<img src="https://e.com/outside.png"><svg onload="steal()"><circle r="1"/></svg>'
)


async def test_the_console_lists_exactly_what_the_cleaner_removed(
    wx: WeChat, client: httpx.AsyncClient, backend: SandboxBackend
) -> None:
    media_id, _ = await _draft(wx, HOSTILE_ARTICLE)
    removed = clean_article_html(HOSTILE_ARTICLE, backend.links.is_image_url).removed
    assert len(removed) >= 6  # the article is hostile in many ways
    page = (await client.get(f"/ui/articles/draft/{media_id}/0")).text
    listed = re.findall(r'data-testid="dropped"><strong>(.*?)</strong>', page)
    assert list(dict.fromkeys(unescape(what) for what in listed)) == removed
