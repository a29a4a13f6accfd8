"""Article HTML: what WeChat removes is removed, on the way in and on the served page."""

from __future__ import annotations

import json
import re

import pytest

from wechat_material.sandbox import SandboxBackend
from wechat_material.sandbox.state.articles import CleanedHtml, clean_article_html

from ..wechat_wire import WeChat, article, media

# Inline SVG stays (static drawings, as WeChat shows them); what can run inside it does not.
ACTIVE = re.compile(
    r"<\s*/?\s*(script|iframe|form|object|embed|foreignobject|animate|set|use)\b"
    r"|\son\w+\s*=|javascript:",
    re.I,
)

BYPASSES = {
    "split script tag": "<scr<script></script>ipt>alert(1)</script>",
    "svg onload": "<svg onload=alert(1)><circle r=1 /></svg>",
    "javascript href": '<a href="javascript:alert(1)">x</a>',
    "javascript href with a tab entity": '<a href="java&#x09;script:alert(1)">x</a>',
    "upper-case javascript": "<a href='JaVaScRiPt:alert(1)'>x</a>",
    "img onerror": '<img src="https://example.com/x.png" onerror="alert(1)">',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "form": '<form action="https://evil.example"><input name=a><button>go</button></form>',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "data URL": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "event on a kept tag": '<p onclick="alert(1)" onmouseover=alert(2)>t</p>',
    "script in a comment trick": "<!--<script>--><script>alert(1)</script>",
    "noscript": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
}


@pytest.mark.parametrize("html", BYPASSES.values(), ids=BYPASSES.keys())
def test_nothing_that_can_run_gets_through(html: str) -> None:
    cleaned = clean_article_html(html)
    assert not ACTIVE.search(cleaned.html), cleaned.html
    assert cleaned.removed, "a removal must be reported"


def test_what_was_removed_is_listed_once_each() -> None:
    cleaned = clean_article_html(
        '<p onclick="x">a</p><script>1</script><script>2</script><a href="javascript:x">b</a>'
    )
    assert cleaned == CleanedHtml(
        "<p>a</p><a>b</a>",
        ["onclick on <p>", "<script>", "javascript: URL in <a href>"],
    )


def test_formatting_stays() -> None:
    html = (
        '<section style="margin:0 auto;color:#333"><p><strong>粗</strong> <em>斜</em></p>'
        '<img src="https://mmbiz.qpic.cn/x/0" data-ratio="0.5" alt="图">'
        '<a href="https://mp.weixin.qq.com/s/abc" target="_blank">链接</a>'
        '<table><tr><td colspan="2">格</td></tr></table></section>'
    )
    cleaned = clean_article_html(html)
    assert cleaned.html == html.replace("<tr>", "<tbody><tr>").replace("</tr>", "</tr></tbody>")
    assert cleaned.removed == []


@pytest.mark.parametrize(
    "style",
    [
        "width: expression(alert(1))",
        "background: url(javascript:alert(1))",
        "background: url('http://plain.example/x.png')",
        "background: url(data:image/svg+xml,<svg onload=alert(1)>)",
        "behavior: url(x.htc)",
        "-moz-binding: url(https://x/y.xml#z)",
        "w\\69dth: expr\\65ssion(alert(1))",
        "color: red; /* */ background: u/**/rl(javascript:alert(1))",
    ],
)
def test_styles_that_run_or_fetch_are_dropped(style: str) -> None:
    cleaned = clean_article_html(f'<p style="{style}">t</p>')
    assert cleaned.html == "<p>t</p>"
    assert cleaned.removed[0].startswith("style on <p>")


def test_styles_with_https_images_stay() -> None:
    html = '<p style="color:red;background:url(https://mmbiz.qpic.cn/a.png)">t</p>'
    assert clean_article_html(html).html == html


def test_images_not_hosted_go_when_a_host_check_is_given() -> None:
    html = '<p>a</p><img src="https://h/ok"><img src="https://else/x"><img alt=" src=">'
    cleaned = clean_article_html(html, lambda url: url.startswith("https://h/"))
    assert cleaned.html == '<p>a</p><img src="https://h/ok">'
    assert cleaned.removed == ["<img> not hosted by WeChat"]


anyio = pytest.mark.anyio


@anyio
async def test_stored_content_is_cleaned(wx: WeChat) -> None:
    thumb = await wx.add_image()
    content = "<p>正文</p>" + "".join(BYPASSES.values())
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb, content=content)]})
    got = await wx.call("/cgi-bin/draft/get", {"media_id": draft["media_id"]})
    stored = got["news_item"][0]["content"]
    assert stored.startswith("<p>正文</p>")
    assert not ACTIVE.search(stored), stored


@anyio
async def test_pages_are_cleaned_and_locked_down(wx: WeChat, backend: SandboxBackend) -> None:
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)]})
    # Content stored before a rule existed (or by an older sandbox): the page cleans it too.
    raw = [{**article(thumb), "content": "<p>x</p>" + "".join(BYPASSES.values())}]
    with backend.storage.transaction() as db:
        db.execute("UPDATE drafts SET articles = ?", (json.dumps(raw),))
    got = await wx.call("/cgi-bin/draft/get", {"media_id": draft["media_id"]})
    page = await wx.http.get(got["news_item"][0]["url"])
    assert page.status_code == 200
    assert "<p>x</p>" in page.text
    assert not ACTIVE.search(page.text), page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # so default-src 'none' applies to scripts
    assert "form-action 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"


@anyio
async def test_files_are_not_sniffed(wx: WeChat) -> None:
    reply = await wx.upload("/cgi-bin/media/uploadimg", "image.png", media("image.png"))
    served = await wx.http.get(reply.json()["url"])
    assert served.headers["x-content-type-options"] == "nosniff"


def test_clean_markup_is_kept_as_written() -> None:
    html = '<p><a href="https://x.example/?a=1&b=2">x &amp; y</a> & z<br/></p>'
    assert clean_article_html(html) == CleanedHtml(html, [])


def test_an_entity_that_spells_a_scheme_is_not_kept() -> None:
    cleaned = clean_article_html('<a href="javascript&colon;alert(1)">x</a>')
    assert cleaned.html == "<a>x</a>"


def test_inline_svg_drawings_stay_without_what_can_run() -> None:
    drawing = (
        '<p>E = mc<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10">'
        '<g transform="scale(1)"><path d="M0 0L10 10" fill="red" onclick="x()"/></g>'
        '<animate attributeName="href" values="javascript:alert(1)"/>'
        "<foreignObject><p>html inside</p></foreignObject>"
        '<use href="#elsewhere"/></svg></p>'
    )
    cleaned = clean_article_html(drawing)
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10">' in cleaned.html
    assert '<path d="M0 0L10 10" fill="red"></path>' in cleaned.html
    assert not ACTIVE.search(cleaned.html), cleaned.html
    assert "html inside" not in cleaned.html
    assert set(cleaned.removed) == {"onclick on <path>", "<animate>", "<foreignobject>", "<use>"}
