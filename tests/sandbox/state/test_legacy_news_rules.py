"""News outside the draft box keeps its own rules: a 64-character default digest and titles
up to 64 characters, where the draft box has 54 and 32.

add_news and uploadnews document a digest that defaults to the first 64
characters of the text and no bound for the title; the draft box documents 54
and, since 2025-12, 32. The bound applied to news titles is the console's
long-standing 64 (docs/wire-contract.en.md says where each rule comes from).
"""

from __future__ import annotations

import json

import httpx
import pytest

from wechat_material import Article, WeChatClient
from wechat_material.errors import ArticleValidationError
from wechat_material.sandbox import SandboxBackend, SandboxConfig, run_in_thread

from ..wechat_wire import START, WeChat, article, errcode, media

pytestmark = pytest.mark.anyio
TEXT = "字" * 70
CONTENT = f"<p><b>{TEXT}</b></p>"


async def test_uploadnews_digest_defaults_to_64_characters(
    wx: WeChat, backend: SandboxBackend
) -> None:
    thumb = await wx.add_image()
    body = {"articles": [article(thumb, content=CONTENT)]}
    media_id = (await wx.call("/cgi-bin/media/uploadnews", body))["media_id"]
    row = backend.storage.row("SELECT body FROM temp_media WHERE media_id = ?", (media_id,))
    assert row is not None
    assert json.loads(row["body"])[0]["digest"] == "字" * 64


async def test_the_draft_box_digest_stays_at_54_characters(wx: WeChat) -> None:
    thumb = await wx.add_image()
    body = {"articles": [article(thumb, content=CONTENT)]}
    media_id = (await wx.call("/cgi-bin/draft/add", body))["media_id"]
    draft = await wx.call("/cgi-bin/draft/get", {"media_id": media_id})
    assert draft["news_item"][0]["digest"] == "字" * 54


@pytest.mark.parametrize(
    "path", ["/cgi-bin/material/add_news", "/cgi-bin/media/uploadnews", "/cgi-bin/draft/add"]
)
async def test_title_bounds_by_endpoint(wx: WeChat, path: str) -> None:
    thumb = await wx.add_image()
    limit = 32 if path == "/cgi-bin/draft/add" else 64
    fits = {"articles": [article(thumb, title="题" * limit)]}
    assert "media_id" in await wx.call(path, fits)
    over = {"articles": [article(thumb, title="题" * (limit + 1))]}
    assert errcode(await wx.post(path, over)) == 45003


async def test_update_news_takes_a_64_character_title(wx: WeChat) -> None:
    thumb = await wx.add_image()
    media_id = (await wx.call("/cgi-bin/material/add_news", {"articles": [article(thumb)]}))[
        "media_id"
    ]
    update = {"media_id": media_id, "index": 0, "articles": article(thumb, title="x" * 64)}
    assert (await wx.call("/cgi-bin/material/update_news", update))["errcode"] == 0


def test_the_sdk_and_the_sandbox_agree_over_a_socket() -> None:
    config = SandboxConfig(seed=8, start_time=START, news_api="legacy")
    with run_in_thread(config) as sandbox:
        appid, secret = config.accounts[0]
        with WeChatClient(appid, secret, base_url=sandbox.base_url) as wc:
            image = wc.material.add_material("image", media("image.jpg")).media_id
            long_title = Article(title="题" * 64, thumb_media_id=image, content=CONTENT)
            media_id = wc.material.add_news([long_title]).media_id
            news = wc.material.get_material(media_id)
            assert news.articles[0].digest == "字" * 64
            # The draft box's 32 is checked before anything is sent.
            before = sandbox.admin.counters()
            with pytest.raises(ArticleValidationError):
                wc.draft.add([long_title])
            assert sandbox.admin.counters() == before
        with httpx.Client(base_url=sandbox.base_url) as http:
            token = {"access_token": wc.get_access_token()}
            body = {"articles": [article(image, content=CONTENT)]}
            sent = http.post("/cgi-bin/media/uploadnews", params=token, json=body)
            assert sent.json()["type"] == "news"
