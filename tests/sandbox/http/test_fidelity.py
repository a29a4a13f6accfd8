"""What an unmodified third-party client sends: uploadimg's ``buffer`` part, flags as digits."""

from __future__ import annotations

import pytest

from wechat_material.checks import article_problem, flag_value

from ..wechat_wire import WeChat, article, errcode, media

pytestmark = pytest.mark.anyio
UPLOADIMG = "/cgi-bin/media/uploadimg"


async def test_uploadimg_takes_the_file_as_buffer(wx: WeChat) -> None:
    reply = await wx.http.post(
        UPLOADIMG,
        params={"access_token": wx.token},
        files={"buffer": ("logo.png", media("image.png"))},
    )
    assert reply.json()["url"].startswith("http://sandbox.test/mmbiz/mmbiz_png/")


async def test_uploadimg_without_media_or_buffer_names_both(wx: WeChat) -> None:
    reply = await wx.http.post(
        UPLOADIMG,
        params={"access_token": wx.token},
        files={"file": ("logo.png", media("image.png"))},
    )
    assert errcode(reply) == 41005


async def test_other_uploads_still_want_media(wx: WeChat) -> None:
    reply = await wx.http.post(
        "/cgi-bin/material/add_material",
        params={"access_token": wx.token, "type": "image"},
        files={"buffer": ("logo.png", media("image.png"))},
    )
    assert errcode(reply) == 41005


async def test_article_flags_may_be_digit_strings(wx: WeChat) -> None:
    thumb = await wx.add_image()
    sent = article(thumb, show_cover_pic="1", need_open_comment="0", only_fans_can_comment="1")
    media_id = (await wx.call("/cgi-bin/draft/add", {"articles": [sent]}))["media_id"]
    stored = (await wx.call("/cgi-bin/draft/get", {"media_id": media_id}))["news_item"][0]
    assert (stored["show_cover_pic"], stored["need_open_comment"]) == (1, 0)
    assert stored["only_fans_can_comment"] == 1


@pytest.mark.parametrize("bad", ["2", "yes", "", "1.0", "-1"])
async def test_other_flag_strings_are_refused(wx: WeChat, bad: str) -> None:
    thumb = await wx.add_image()
    reply = await wx.post("/cgi-bin/draft/add", {"articles": [article(thumb, show_cover_pic=bad)]})
    if bad == "":
        assert reply.json().get("errcode", 0) == 0  # empty is "not given", as before
    else:
        assert errcode(reply) == 40097


def test_flag_value_reads_numbers_and_digits() -> None:
    assert [flag_value(v) for v in (0, 1, "0", "1", " 1 ", True)] == [0, 1, 0, 1, 1, 1]
    assert [flag_value(v) for v in (2, "2", "x", None, [1])] == [None] * 5
    assert article_problem({"title": "t", "thumb_media_id": "m", "content": "c",
                            "need_open_comment": "1"}) is None  # fmt: skip
