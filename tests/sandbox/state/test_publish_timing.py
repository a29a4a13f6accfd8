"""How long the sandbox takes to publish (3 s of its clock by default, or as set), and
the article rules it shares with the SDK."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from wechat_material.sandbox import AsyncSandboxAdmin

from ..wechat_wire import WeChat, article, errcode
from .test_drafts import add_draft

pytestmark = pytest.mark.anyio


async def _submit(wx: WeChat) -> str:
    thumb = await wx.add_image()
    media_id = await add_draft(wx, article(thumb, title="一"))
    submitted = await wx.call("/cgi-bin/freepublish/submit", {"media_id": media_id})
    return str(submitted["publish_id"])


async def _status(wx: WeChat, publish_id: str) -> int:
    reply = await wx.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    return int(reply["publish_status"])


async def test_a_publication_takes_three_seconds_by_default(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    publish_id = await _submit(wx)
    await admin.advance(2.9)
    assert await _status(wx, publish_id) == 1
    await admin.advance(0.1)
    assert await _status(wx, publish_id) == 0


async def test_the_admin_setting_applies_to_later_publications(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    before = await _submit(wx)
    await admin.set_publish_seconds(600)
    after = await _submit(wx)

    await admin.advance(3)

    assert await _status(wx, before) == 0  # submitted under the old setting
    assert await _status(wx, after) == 1
    await admin.advance(597)
    assert await _status(wx, after) == 0


@pytest.mark.parametrize("value", [-1, "3", 1e9])
async def test_a_bad_publish_time_is_refused_by_name(
    client: httpx.AsyncClient, value: object
) -> None:
    reply = await client.put("/_sandbox/settings", json={"publish_seconds": value})

    assert reply.status_code == 400
    assert "publish_seconds" in reply.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content_source_url", "javascript:alert(1)"),
        ("pic_crop_235_1", "a_b_c_d"),
        ("pic_crop_1_1", "0_0_1_1.5"),
        ("title", "a\x00b"),
        ("author", "x\x1by"),
        ("content", "<p>\x00</p>"),
    ],
)
async def test_the_sandbox_refuses_what_the_sdk_refuses(wx: WeChat, field: str, value: Any) -> None:
    thumb = await wx.add_image()
    reply = await wx.post("/cgi-bin/draft/add", {"articles": [article(thumb, **{field: value})]})

    assert errcode(reply) == 40097
    assert (await wx.get("/cgi-bin/draft/count")).json() == {"total_count": 0}
