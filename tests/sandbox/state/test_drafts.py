"""The draft box and publishing, finished by the sandbox clock."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from wechat_material.sandbox import AsyncSandboxAdmin

from ..wechat_wire import BASE, START, WeChat, article, errcode, media

pytestmark = pytest.mark.anyio


async def add_draft(wx: WeChat, *articles: Mapping[str, object]) -> str:
    return str((await wx.call("/cgi-bin/draft/add", {"articles": list(articles)}))["media_id"])


async def test_draft_add_get_count(wx: WeChat) -> None:
    thumb = await wx.add_image()
    media_id = await add_draft(wx, article(thumb, pic_crop_235_1="0_0_1_0.5"), article(thumb))
    draft = await wx.call("/cgi-bin/draft/get", {"media_id": media_id})
    first = draft["news_item"][0]
    assert first["article_type"] == "news"
    assert first["pic_crop_235_1"] == "0_0_1_0.5"
    assert first["digest"] == ""  # multi-article drafts get no default digest
    assert first["thumb_url"].startswith(f"{BASE}/mmbiz/")
    assert (await wx.http.get(first["url"])).status_code == 200
    assert (await wx.get("/cgi-bin/draft/count")).json() == {"total_count": 1}


async def test_newspic_draft_takes_its_cover_from_the_first_image(wx: WeChat) -> None:
    images = [await wx.add_image(), await wx.add_image()]
    newspic = {
        "article_type": "newspic",
        "title": "图片消息",
        "content": "纯文字",
        "image_info": {"image_list": [{"image_media_id": i} for i in images]},
    }
    media_id = await add_draft(wx, newspic)
    item = (await wx.call("/cgi-bin/draft/get", {"media_id": media_id}))["news_item"][0]
    assert item["article_type"] == "newspic"
    assert item["thumb_media_id"] == images[0]
    assert item["image_info"] == newspic["image_info"]
    no_images = {**newspic, "image_info": {"image_list": []}}
    assert errcode(await wx.post("/cgi-bin/draft/add", {"articles": [no_images]})) == 40097
    not_image = {**newspic, "image_info": {"image_list": [{"image_media_id": "nope"}]}}
    assert errcode(await wx.post("/cgi-bin/draft/add", {"articles": [not_image]})) == 40007
    odd = {**newspic, "article_type": "video"}
    assert errcode(await wx.post("/cgi-bin/draft/add", {"articles": [odd]})) == 40097


async def test_draft_update_and_delete(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    thumb = await wx.add_image()
    media_id = await add_draft(wx, article(thumb))
    await admin.advance(5)
    changed = article(thumb, title="新标题", need_open_comment=1)
    await wx.call("/cgi-bin/draft/update", {"media_id": media_id, "index": 0, "articles": changed})
    item = (await wx.call("/cgi-bin/draft/get", {"media_id": media_id}))["news_item"][0]
    assert item["title"] == "新标题"
    assert item["need_open_comment"] == 1  # drafts may change their comment flags
    out_of_range = {"media_id": media_id, "index": 3, "articles": changed}
    assert errcode(await wx.post("/cgi-bin/draft/update", out_of_range)) == 40097
    assert await wx.call("/cgi-bin/draft/delete", {"media_id": media_id}) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    assert errcode(await wx.post("/cgi-bin/draft/get", {"media_id": media_id})) == 40007
    assert errcode(await wx.post("/cgi-bin/draft/delete", {"media_id": media_id})) == 40007
    assert errcode(await wx.post("/cgi-bin/draft/delete", {})) == 41006


async def test_draft_batchget_with_and_without_content(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    thumb = await wx.add_image()
    ids = []
    for _ in range(3):
        ids.append(await add_draft(wx, article(thumb)))
        await admin.advance(1)
    page = await wx.call("/cgi-bin/draft/batchget", {"offset": 0, "count": 2, "no_content": 0})
    assert page["total_count"] == 3
    assert [item["media_id"] for item in page["item"]] == ids[::-1][:2]
    assert page["item"][0]["content"]["news_item"][0]["content"] == "<p>正文 body</p>"
    bare = await wx.call("/cgi-bin/draft/batchget", {"offset": 2, "count": 2, "no_content": 1})
    assert bare["item_count"] == 1
    assert "content" not in bare["item"][0]["content"]["news_item"][0]
    assert errcode(await wx.post("/cgi-bin/draft/batchget", {"offset": 0, "count": 21})) == 40097


async def test_draft_article_rules(wx: WeChat) -> None:
    thumb = await wx.add_image()
    long_title = {"articles": [article(thumb, title="题" * 33)]}
    assert errcode(await wx.post("/cgi-bin/draft/add", long_title)) == 45003
    temp = await wx.upload("/cgi-bin/media/upload", "thumb.jpg", media("thumb.jpg"), "thumb")
    temp_cover = {"articles": [article(temp.json()["thumb_media_id"])]}
    assert errcode(await wx.post("/cgi-bin/draft/add", temp_cover)) == 40007


async def test_publishing_completes_on_the_clock(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    await admin.set_publish_seconds(60)  # the long window (the default is 3 s)
    thumb = await wx.add_image()
    media_id = await add_draft(wx, article(thumb, title="一"), article(thumb, title="二"))
    submitted = await wx.call("/cgi-bin/freepublish/submit", {"media_id": media_id})
    assert submitted["errcode"] == 0
    assert isinstance(submitted["publish_id"], str)
    assert isinstance(submitted["msg_data_id"], str)  # as documented
    publish_id = submitted["publish_id"]
    # the draft leaves the draft box
    assert (await wx.get("/cgi-bin/draft/count")).json() == {"total_count": 0}
    status = await wx.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert status == {"publish_id": publish_id, "publish_status": 1, "fail_idx": []}
    await admin.advance(59)
    status = await wx.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert status["publish_status"] == 1
    await admin.advance(1)
    status = await wx.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert status["publish_status"] == 0
    assert status["article_detail"]["count"] == 2
    items = status["article_detail"]["item"]
    assert [i["idx"] for i in items] == [1, 2]
    page = await wx.http.get(items[1]["article_url"])
    assert page.status_code == 200
    assert "二" in page.text
    article_id = status["article_id"]
    published = await wx.call("/cgi-bin/freepublish/getarticle", {"article_id": article_id})
    assert [i["title"] for i in published["news_item"]] == ["一", "二"]
    assert published["news_item"][0]["is_deleted"] is False
    listing = await wx.call("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 10})
    assert listing["total_count"] == 1
    assert listing["item"][0]["article_id"] == article_id
    assert listing["item"][0]["update_time"] == int(START) + 60


async def test_publish_ids_as_numbers_are_accepted(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    media_id = await add_draft(wx, article(await wx.add_image()))
    publish_id = (await wx.call("/cgi-bin/freepublish/submit", {"media_id": media_id}))[
        "publish_id"
    ]
    status = await wx.call("/cgi-bin/freepublish/get", {"publish_id": int(publish_id)})
    assert status["publish_id"] == publish_id


async def test_deleting_published_articles(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    thumb = await wx.add_image()
    media_id = await add_draft(wx, article(thumb), article(thumb))
    publish_id = (await wx.call("/cgi-bin/freepublish/submit", {"media_id": media_id}))[
        "publish_id"
    ]
    await admin.advance(60)
    status = await wx.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    article_id, urls = (
        status["article_id"],
        [i["article_url"] for i in status["article_detail"]["item"]],
    )
    await wx.call("/cgi-bin/freepublish/delete", {"article_id": article_id, "index": 2})
    status = await wx.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert [i["idx"] for i in status["article_detail"]["item"]] == [1]
    assert "删除" in (await wx.http.get(urls[1])).text
    out_of_range = {"article_id": article_id, "index": 3}
    assert errcode(await wx.post("/cgi-bin/freepublish/delete", out_of_range)) == 40097
    await wx.call("/cgi-bin/freepublish/delete", {"article_id": article_id, "index": 0})
    status = await wx.call("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert status["publish_status"] == 5
    listing = await wx.call("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 10})
    assert listing["total_count"] == 0


async def test_publishing_errors(wx: WeChat) -> None:
    assert errcode(await wx.post("/cgi-bin/freepublish/submit", {"media_id": "nope"})) == 40007
    assert errcode(await wx.post("/cgi-bin/freepublish/get", {"publish_id": "1"})) == 40097
    assert errcode(await wx.post("/cgi-bin/freepublish/get", {})) == 40097
    unknown = {"article_id": "nope"}
    assert errcode(await wx.post("/cgi-bin/freepublish/getarticle", unknown)) == 53600
    assert errcode(await wx.post("/cgi-bin/freepublish/delete", unknown)) == 53600
    media_id = await add_draft(wx, article(await wx.add_image()))
    await wx.call("/cgi-bin/freepublish/submit", {"media_id": media_id})
    # not published yet: no article to show
    listing = await wx.call("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 10})
    assert listing == {"total_count": 0, "item_count": 0, "item": []}
