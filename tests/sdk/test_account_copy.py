"""What tools that keep a whole account use: lists as WeChat sends them, files with what
WeChat said of them, the HTTP client the calls go through, an async twin."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from wechat_material import FileDownload, NotAFileError, ValidationError, WeChatClient
from wechat_material.limits import LIST_KINDS

from .harness import MEDIA, Both

pytestmark = pytest.mark.anyio


async def test_every_list_page_is_the_json_wechat_sent(wx: Both, media: Path) -> None:
    image = await wx(wx.client.material.add_material, "image", media / "image.png")

    for kind in LIST_KINDS:
        page = await wx(wx.client.list_page, kind)
        assert {"total_count", "item_count", "item"} <= set(page), kind
    images = await wx(wx.client.list_page, "image", 0, 1)
    assert images["item"][0]["media_id"] == image.media_id
    assert images["item_count"] == 1


async def test_a_list_page_of_an_unknown_kind_or_window_is_refused(wx: Both) -> None:
    with pytest.raises(ValidationError, match="kind must be one of image, voice"):
        await wx(wx.client.list_page, "thumb")
    with pytest.raises(ValidationError, match="count must be 1 to 20"):
        await wx(wx.client.list_page, "draft", 0, 21)


async def test_fetching_material_says_what_wechat_said(wx: Both, media: Path) -> None:
    image = await wx(wx.client.material.add_material, "image", media / "image.png", "封面.png")
    video = await wx(wx.client.material.add_video_material, media / "video.mp4", "标题", "介绍")

    into = io.BytesIO()
    said = await wx(wx.client.fetch_material, image.media_id, into)
    assert into.getvalue() == (media / "image.png").read_bytes()
    assert said.size == len(into.getvalue())
    assert said.content_type == "image/png"
    assert said.title is None

    into = io.BytesIO()
    said = await wx(wx.client.fetch_material, video.media_id, into)
    assert into.getvalue() == (media / "video.mp4").read_bytes()
    assert isinstance(said, FileDownload)
    assert (said.title, said.description) == ("标题", "介绍")


async def test_fetching_a_news_material_is_not_a_file(wx: Both) -> None:
    news = await wx(
        wx.client.material.add_news,
        [{"title": "t", "thumb_media_id": await _thumb(wx), "content": "<p>x</p>"}],
    )
    with pytest.raises(NotAFileError):
        await wx(wx.client.fetch_material, news.media_id, io.BytesIO())


async def _thumb(wx: Both) -> str:
    added = await wx(wx.client.material.add_material, "thumb", MEDIA / "thumb.jpg")
    return str(added.media_id)


async def test_the_http_client_is_the_one_the_calls_go_through(wx: Both) -> None:
    seen: list[str] = []

    async def note(request: object) -> None:
        seen.append(str(getattr(request, "url", "")))

    http = wx.client.http_client
    if wx.kind == "sync":
        http.event_hooks["request"].append(lambda request: seen.append(str(request.url)))
    else:
        http.event_hooks["request"].append(note)

    await wx(wx.client.material.get_material_count)

    assert any("get_materialcount" in url for url in seen)


def test_an_async_twin_shares_the_account_and_is_refused_for_a_fetcher() -> None:
    with WeChatClient("wx0123456789abcdef", "secret", base_url="http://127.0.0.1:9") as client:
        twin = client.async_client()
        assert (twin.appid, twin.base_url) == (client.appid, client.base_url)
        asyncio.run(twin.aclose())
    fetching = WeChatClient("wx0123456789abcdef", token_fetcher=lambda: None)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValidationError, match="token_fetcher"):
        fetching.async_client()
    fetching.close()


async def test_material_answers_to_the_verbs_of_draft_and_publish(wx: Both, media: Path) -> None:
    material = wx.client.material
    image = await wx(material.add_material, "image", media / "image.png")

    listed = await wx(material.batch_get, "image")
    streamed = await wx.collect(material.stream("image"))
    await wx(material.delete, image.media_id)

    assert [item.media_id for item in listed.items] == [image.media_id]
    assert [item.media_id for item in streamed] == [image.media_id]
    assert (await wx(material.get_material_count)).image_count == 0
    assert type(material).delete is type(material).del_material
