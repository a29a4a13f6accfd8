"""JSON that parses but cannot be used answers 47001, never ``-1 system error``.

A lone surrogate (``"\\ud800"``) is valid JSON syntax but no valid text: it
could be neither stored nor sent back. Integers sent as strings must be plain
ASCII digits that fit a 64-bit integer.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ..wechat_wire import WeChat, article, errcode, media
from .test_wire import JSON_POSTS

pytestmark = pytest.mark.anyio

LONE_SURROGATE = b'"\\ud800"'


async def post_raw(wx: WeChat, path: str, raw: bytes) -> httpx.Response:
    return await wx.http.post(path, params={"access_token": wx.token}, content=raw)


@pytest.mark.parametrize("path", JSON_POSTS)
async def test_a_lone_surrogate_anywhere_is_47001(wx: WeChat, path: str) -> None:
    raw = b'{"media_id": %s, "articles": [{"title": %s}]}' % (LONE_SURROGATE, LONE_SURROGATE)
    assert errcode(await post_raw(wx, path, raw)) == 47001


async def test_a_lone_surrogate_in_a_key_is_47001(wx: WeChat) -> None:
    raw = b'{"media_id": "x", %s: 1}' % LONE_SURROGATE
    assert errcode(await post_raw(wx, "/cgi-bin/draft/get", raw)) == 47001


async def test_an_escaped_surrogate_pair_is_fine(wx: WeChat) -> None:
    thumb = await wx.add_image()
    raw = json.dumps({"articles": [article(thumb, title="\U0001f600 smile")]}).encode()
    assert b"\\ud83d\\ude00" in raw  # ensure_ascii: the emoji travels as a surrogate pair
    media_id = (await post_raw(wx, "/cgi-bin/draft/add", raw)).json()["media_id"]
    draft = await wx.call("/cgi-bin/draft/get", {"media_id": media_id})
    assert draft["news_item"][0]["title"] == "\U0001f600 smile"


async def test_json_nested_too_deeply_is_47001(wx: WeChat) -> None:
    deep = b'{"media_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert errcode(await post_raw(wx, "/cgi-bin/draft/get", deep)) == 47001


async def test_stable_token_with_unusable_json_is_47001(client: httpx.AsyncClient) -> None:
    for raw in (b'{"appid": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b'{"appid": "\\udfff"}'):
        assert errcode(await client.post("/cgi-bin/stable_token", content=raw)) == 47001


@pytest.mark.parametrize(
    "offset",
    ["²", "٣", "--5", "-", "1e3", "5x", " ", "1" * 19, "", 1.5, True, [1]],
)
async def test_an_integer_field_must_be_plain_digits(wx: WeChat, offset: Any) -> None:
    body = {"offset": offset, "count": 5}
    reply = await wx.post("/cgi-bin/material/batchget_material", {"type": "image", **body})
    assert errcode(reply) == 47001
    assert errcode(await wx.post("/cgi-bin/draft/batchget", body)) == 47001


@pytest.mark.parametrize("offset", ["0", " 2 ", "\n7\t", 3])
async def test_integers_in_strings_are_accepted(wx: WeChat, offset: Any) -> None:
    reply = await wx.call("/cgi-bin/draft/batchget", {"offset": offset, "count": 5})
    assert reply["item_count"] == 0


async def test_eighteen_digits_in_a_string_are_a_number_nineteen_are_not(wx: WeChat) -> None:
    # 18 digits parse, then the page check finds the offset out of range, as it does
    # for any big JSON number.
    for offset, code in (("9" * 18, 40097), (10**30, 40097), ("9" * 19, 47001)):
        reply = await wx.post("/cgi-bin/draft/batchget", {"offset": offset, "count": 5})
        assert errcode(reply) == code, offset


async def test_a_video_description_with_a_lone_surrogate_is_refused(wx: WeChat) -> None:
    described = '{"title": "\\ud800", "introduction": ""}'
    reply = await wx.upload(
        "/cgi-bin/material/add_material",
        "video.mp4",
        media("video.mp4"),
        "video",
        description=described,
    )
    assert errcode(reply) == 40097
    counts = (await wx.get("/cgi-bin/material/get_materialcount")).json()
    assert counts["video_count"] == 0


async def test_the_admin_api_refuses_a_lone_surrogate(client: httpx.AsyncClient) -> None:
    raw = b'{"appid": %s, "secret": "s"}' % LONE_SURROGATE
    reply = await client.post(
        "/_sandbox/accounts", content=raw, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert "surrogate" in reply.json()["error"]
