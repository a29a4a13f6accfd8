"""Picture articles (``article_type: "newspic"``): only the draft box knows them.

Everywhere else (add_news, update_news, uploadnews) an article is a plain one:
its type and images are ignored and its cover (thumb_media_id) is required.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..wechat_wire import WeChat, article, errcode, media

pytestmark = pytest.mark.anyio

ADD_NEWS = "/cgi-bin/material/add_news"
UPDATE_NEWS = "/cgi-bin/material/update_news"
UPLOADNEWS = "/cgi-bin/media/uploadnews"
DRAFT_ADD = "/cgi-bin/draft/add"
DRAFT_UPDATE = "/cgi-bin/draft/update"
DRAFT_GET = "/cgi-bin/draft/get"


def newspic(*image_ids: str, **fields: Any) -> dict[str, Any]:
    """A picture article with no cover of its own."""
    return {
        "article_type": "newspic",
        "title": "图片消息",
        "content": "纯文字",
        "image_info": {"image_list": [{"image_media_id": i} for i in image_ids]},
        **fields,
    }


async def test_add_news_refuses_a_newspic_article_without_a_cover(wx: WeChat) -> None:
    image = await wx.add_image()
    assert errcode(await wx.post(ADD_NEWS, {"articles": [newspic(image)]})) == 40097


async def test_uploadnews_refuses_a_newspic_article_without_a_cover(wx: WeChat) -> None:
    image = await wx.add_image()
    assert errcode(await wx.post(UPLOADNEWS, {"articles": [newspic(image)]})) == 40097


async def test_update_news_refuses_a_newspic_article_without_a_cover(wx: WeChat) -> None:
    image = await wx.add_image()
    media_id = (await wx.call(ADD_NEWS, {"articles": [article(image)]}))["media_id"]
    body = {"media_id": media_id, "index": 0, "articles": newspic(image)}
    assert errcode(await wx.post(UPDATE_NEWS, body)) == 40097


async def test_outside_drafts_a_newspic_article_with_a_cover_is_plain_news(wx: WeChat) -> None:
    image = await wx.add_image()
    # Its type is ignored, so a type the draft box would refuse does not matter either.
    odd = newspic(image, thumb_media_id=image, article_type="video")
    media_id = (await wx.call(ADD_NEWS, {"articles": [odd]}))["media_id"]
    (item,) = (await wx.call("/cgi-bin/material/get_material", {"media_id": media_id}))["news_item"]
    assert item["thumb_media_id"] == image
    assert "article_type" not in item
    assert "image_info" not in item


async def test_draft_add_takes_a_newspic_article(wx: WeChat) -> None:
    images = [await wx.add_image(), await wx.add_image()]
    media_id = (await wx.call(DRAFT_ADD, {"articles": [newspic(*images)]}))["media_id"]
    (item,) = (await wx.call(DRAFT_GET, {"media_id": media_id}))["news_item"]
    assert item["article_type"] == "newspic"
    assert item["thumb_media_id"] == images[0]


@pytest.mark.parametrize(
    ("image_list", "code"),
    [
        ([], 40097),
        (["not an object"], 40097),
        ([{"image_media_id": ""}], 40097),
        ([{"image_media_id": "IMAGE"}] * 21, 40097),  # 1 to 20 images
        ([{"image_media_id": "nope"}], 40007),  # well formed, but no such image
    ],
)
async def test_draft_add_checks_the_images_of_a_newspic_article(
    wx: WeChat, image_list: list[Any], code: int
) -> None:
    image = await wx.add_image()
    listed = [
        {"image_media_id": image} if item == {"image_media_id": "IMAGE"} else item
        for item in image_list
    ]
    body = {"articles": [{**newspic(), "image_info": {"image_list": listed}}]}
    assert errcode(await wx.post(DRAFT_ADD, body)) == code


async def test_a_newspic_image_must_be_a_permanent_image(wx: WeChat) -> None:
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    assert errcode(await wx.post(DRAFT_ADD, {"articles": [newspic(thumb)]})) == 40007


async def test_draft_update_can_turn_an_article_into_newspic(wx: WeChat) -> None:
    images = [await wx.add_image(), await wx.add_image()]
    media_id = (await wx.call(DRAFT_ADD, {"articles": [article(images[0])]}))["media_id"]
    await wx.call(DRAFT_UPDATE, {"media_id": media_id, "index": 0, "articles": newspic(images[1])})
    (item,) = (await wx.call(DRAFT_GET, {"media_id": media_id}))["news_item"]
    assert item["article_type"] == "newspic"
    assert item["thumb_media_id"] == images[1]
    no_images = {"media_id": media_id, "index": 0, "articles": newspic()}
    assert errcode(await wx.post(DRAFT_UPDATE, no_images)) == 40097


async def test_an_absent_article_type_in_a_draft_is_news(wx: WeChat) -> None:
    image = await wx.add_image()
    media_id = (await wx.call(DRAFT_ADD, {"articles": [article(image, article_type=None)]}))[
        "media_id"
    ]
    (item,) = (await wx.call(DRAFT_GET, {"media_id": media_id}))["news_item"]
    assert item["article_type"] == "news"
