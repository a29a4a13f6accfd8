"""Nothing the sandbox answers outlives a change: listings, checked tokens."""

from __future__ import annotations

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, AsyncSandboxAdmin

from ..wechat_wire import WeChat, article, errcode

pytestmark = pytest.mark.anyio

BATCHGET = "/cgi-bin/material/batchget_material"
PAGE = {"type": "image", "offset": 0, "count": 20}


async def listed(wx: WeChat, page: dict[str, object] = PAGE) -> list[str]:
    return [item["media_id"] for item in (await wx.call(BATCHGET, page))["item"]]


async def test_listing_follows_adds_and_deletes(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    first = await wx.add_image()
    assert await listed(wx) == [first]
    await admin.advance(1)
    second = await wx.add_image()
    assert await listed(wx) == [second, first]
    await wx.call("/cgi-bin/material/del_material", {"media_id": second})
    listing = await wx.call(BATCHGET, PAGE)
    assert listing["total_count"] == 1
    assert [item["media_id"] for item in listing["item"]] == [first]


async def test_every_page_follows_a_change(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    """A page read before is read again after any change, whichever page it is."""
    first = await wx.add_image()
    await admin.advance(1)
    second = await wx.add_image()
    second_page = {"type": "image", "offset": 1, "count": 1}
    assert await listed(wx, second_page) == [first]
    assert await listed(wx, second_page) == [first]  # asked again, unchanged
    await admin.advance(1)
    third = await wx.add_image()
    assert await listed(wx, second_page) == [second]
    await wx.call("/cgi-bin/material/del_material", {"media_id": second})
    assert await listed(wx, second_page) == [first]
    assert await listed(wx, {"type": "image", "offset": 0, "count": 1}) == [third]


async def test_listing_follows_news_updates(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    thumb = await wx.add_image()
    news = {"type": "news", "offset": 0, "count": 20}
    media_id = (await wx.call("/cgi-bin/material/add_news", {"articles": [article(thumb)]}))[
        "media_id"
    ]
    before = (await wx.call(BATCHGET, news))["item"][0]
    await admin.advance(30)
    changed = article(thumb, title="改")
    update = {"media_id": media_id, "index": 0, "articles": changed}
    await wx.call("/cgi-bin/material/update_news", update)
    after = (await wx.call(BATCHGET, news))["item"][0]
    assert after["update_time"] == before["update_time"] + 30
    assert after["content"]["news_item"][0]["title"] == "改"


async def test_listing_is_empty_after_reset(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    await wx.add_image()
    assert len(await listed(wx)) == 1
    await admin.reset()
    await wx.fetch_token()
    assert await listed(wx) == []


async def test_listing_urls_follow_the_host_asked(client: httpx.AsyncClient, wx: WeChat) -> None:
    await wx.add_image()
    urls = []
    for host in ("one.test", "two.test:8080"):
        reply = await client.post(
            BATCHGET,
            params={"access_token": wx.token},
            json=PAGE,
            headers={"host": host},
        )
        urls.append(reply.json()["item"][0]["url"])
    assert urls[0].startswith("http://one.test/mmbiz/")
    assert urls[1].startswith("http://two.test:8080/mmbiz/")


async def test_a_checked_token_still_follows_revocation(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    count = "/cgi-bin/material/get_materialcount"
    assert (await wx.get(count)).status_code == 200
    assert "errcode" not in (await wx.get(count)).json()
    await admin.revoke_tokens(DEMO_APPID)
    assert errcode(await wx.get(count)) == 40001
    await admin.reset()
    assert errcode(await wx.get(count)) == 40014


async def test_a_checked_token_still_follows_rotation(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    count = "/cgi-bin/material/get_materialcount"
    old = wx.token
    assert "errcode" not in (await wx.get(count)).json()
    await wx.fetch_token()
    await wx.fetch_token()  # the third token ends the first at once
    wx.token = old
    assert errcode(await wx.get(count)) == 40001
