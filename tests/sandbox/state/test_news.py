"""News material (add_news / update_news) and what WeChat does to article content."""

from __future__ import annotations

import httpx
import pytest

from wechat_material.sandbox import AsyncSandboxAdmin, SandboxConfig, create_app

from ..wechat_wire import BASE, START, WeChat, article, errcode, media

pytestmark = pytest.mark.anyio
ADD_NEWS = "/cgi-bin/material/add_news"
UPDATE_NEWS = "/cgi-bin/material/update_news"
GET = "/cgi-bin/material/get_material"


async def test_add_news_then_get_it(wx: WeChat) -> None:
    thumb = await wx.add_image()
    reply = await wx.call(ADD_NEWS, {"articles": [article(thumb, author="作者")]})
    assert set(reply) == {"media_id"}
    news = await wx.call(GET, {"media_id": reply["media_id"]})
    (item,) = news["news_item"]
    assert item["title"] == "标题"
    assert item["author"] == "作者"
    assert item["thumb_media_id"] == thumb
    assert item["show_cover_pic"] == 0
    assert item["content_source_url"] == ""
    assert item["url"].startswith(f"{BASE}/mmbiz/s/")
    page = await wx.http.get(item["url"])
    assert page.headers["content-type"].startswith("text/html")
    assert "标题" in page.text
    counts = (await wx.get("/cgi-bin/material/get_materialcount")).json()
    assert counts["news_count"] == 1


async def test_news_in_batchget(wx: WeChat) -> None:
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    media_id = (await wx.call(ADD_NEWS, {"articles": [article(thumb)] * 2}))["media_id"]
    listing = await wx.call("/cgi-bin/material/batchget_material", {"type": "news", "count": 20})
    (item,) = listing["item"]
    assert item["media_id"] == media_id
    assert item["update_time"] == int(START)
    content = item["content"]
    assert content["create_time"] == int(START)
    assert len(content["news_item"]) == 2
    assert content["news_item"][0]["thumb_url"].startswith(f"{BASE}/mmbiz/mmbiz_jpg/")
    assert (await wx.http.get(content["news_item"][0]["thumb_url"])).content == media("thumb.jpg")


async def test_a_listed_news_links_what_get_material_links(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    media_id = (await wx.call(ADD_NEWS, {"articles": [article(thumb)] * 2}))["media_id"]
    await admin.advance(5)
    changed = {"media_id": media_id, "index": 1, "articles": article(thumb, title="改")}
    await wx.call(UPDATE_NEWS, changed)
    got = (await wx.call(GET, {"media_id": media_id}))["news_item"]
    assert all("thumb_url" not in item for item in got)  # get_material gives ids only
    listing = await wx.call("/cgi-bin/material/batchget_material", {"type": "news", "count": 20})
    assert listing["item_count"] == 1
    (item,) = listing["item"]
    content = item["content"]
    assert (content["create_time"], content["update_time"]) == (int(START), int(START) + 5)
    assert [i["url"] for i in content["news_item"]] == [i["url"] for i in got]
    assert all(i["url"].startswith(f"{BASE}/mmbiz/s/") for i in got)


async def test_an_updated_article_gets_a_digest_only_when_alone(wx: WeChat) -> None:
    thumb = await wx.add_image()
    text = "字" * 70
    body = article(thumb, content=f"<p>{text}</p>")
    for count, digest in ((1, "字" * 64), (2, "")):
        media_id = (await wx.call(ADD_NEWS, {"articles": [article(thumb)] * count}))["media_id"]
        await wx.call(UPDATE_NEWS, {"media_id": media_id, "index": 0, "articles": body})
        items = (await wx.call(GET, {"media_id": media_id}))["news_item"]
        assert items[0]["digest"] == digest, count


async def test_digest_defaults_to_64_characters_of_text(wx: WeChat) -> None:
    thumb = await wx.add_image()
    text = "字" * 70
    single = {"articles": [article(thumb, content=f"<p><b>{text}</b></p>")]}
    news = await wx.call(GET, {"media_id": (await wx.call(ADD_NEWS, single))["media_id"]})
    assert news["news_item"][0]["digest"] == "字" * 64


async def test_scripts_are_stripped_and_foreign_images_dropped(wx: WeChat) -> None:
    thumb = await wx.add_image()
    hosted = (await wx.upload("/cgi-bin/media/uploadimg", "image.png", media("image.png"))).json()
    content = (
        '<p>a</p><script type="text/javascript">alert(1)</script>'
        f'<img src="{hosted["url"]}"><img src="https://example.com/x.jpg"><SCRIPT>x</SCRIPT>'
    )
    media_id = (await wx.call(ADD_NEWS, {"articles": [article(thumb, content=content)]}))[
        "media_id"
    ]
    stored = (await wx.call(GET, {"media_id": media_id}))["news_item"][0]["content"]
    assert stored == f'<p>a</p><img src="{hosted["url"]}">'


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "长" * 65}, 45003),
        ({"title": ""}, 40097),
        ({"content": None}, 40097),
        ({"author": "a" * 17}, 45110),
        ({"digest": "d" * 129}, 45004),
        ({"content": "c" * 20_000}, 45002),
        ({"show_cover_pic": 2}, 40097),
        ({"content_source_url": "http://x/" + "a" * 1024}, 45002),
    ],
)
async def test_article_field_errors(wx: WeChat, fields: dict[str, object], code: int) -> None:
    thumb = await wx.add_image()
    body = {k: v for k, v in article(thumb, **fields).items() if v is not None}
    assert errcode(await wx.post(ADD_NEWS, {"articles": [body]})) == code


async def test_covers_must_be_permanent_images(wx: WeChat) -> None:
    temp = await wx.upload("/cgi-bin/media/upload", "thumb.jpg", media("thumb.jpg"), "thumb")
    temp_id = temp.json()["thumb_media_id"]
    assert errcode(await wx.post(ADD_NEWS, {"articles": [article(temp_id)]})) == 40007
    voice = await wx.add_material("voice", "v.mp3", media("voice-2s.mp3"))
    assert errcode(await wx.post(ADD_NEWS, {"articles": [article(voice)]})) == 40007


async def test_article_count_bounds(wx: WeChat) -> None:
    thumb = await wx.add_image()
    assert errcode(await wx.post(ADD_NEWS, {"articles": []})) == 40097
    assert errcode(await wx.post(ADD_NEWS, {"articles": [article(thumb)] * 9})) == 40097
    assert errcode(await wx.post(ADD_NEWS, {})) == 40097
    await wx.call(ADD_NEWS, {"articles": [article(thumb)] * 8})


async def test_update_news(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    thumb = await wx.add_image()
    first = article(thumb, title="一", need_open_comment=1)
    second = article(thumb, title="二")
    media_id = (await wx.call(ADD_NEWS, {"articles": [first, second]}))["media_id"]
    await admin.advance(10)
    changed = article(thumb, title="改", need_open_comment=0, only_fans_can_comment=1)
    reply = await wx.call(UPDATE_NEWS, {"media_id": media_id, "index": 0, "articles": changed})
    assert reply == {"errcode": 0, "errmsg": "ok"}
    items = (await wx.call(GET, {"media_id": media_id}))["news_item"]
    assert [i["title"] for i in items] == ["改", "二"]
    # the comment flags keep the values the news was created with
    assert items[0]["need_open_comment"] == 1
    assert items[0]["only_fans_can_comment"] == 0
    listing = await wx.call("/cgi-bin/material/batchget_material", {"type": "news", "count": 1})
    assert listing["item"][0]["update_time"] == int(START) + 10


async def test_update_news_errors(wx: WeChat) -> None:
    thumb = await wx.add_image()
    media_id = (await wx.call(ADD_NEWS, {"articles": [article(thumb)]}))["media_id"]
    one = article(thumb)
    out_of_range = {"media_id": media_id, "index": 1, "articles": one}
    assert errcode(await wx.post(UPDATE_NEWS, out_of_range)) == 40097
    unknown = {"media_id": "nope", "index": 0, "articles": one}
    assert errcode(await wx.post(UPDATE_NEWS, unknown)) == 40007
    not_news = {"media_id": thumb, "index": 0, "articles": one}
    assert errcode(await wx.post(UPDATE_NEWS, not_news)) == 40007
    assert errcode(await wx.post(UPDATE_NEWS, {"index": 0, "articles": one})) == 41006
    too_long = {"media_id": media_id, "index": 0, "articles": article(thumb, title="x" * 65)}
    assert errcode(await wx.post(UPDATE_NEWS, too_long)) == 45003


async def test_retired_mode_can_be_switched_on(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    thumb = await wx.add_image()
    await admin.set_news_api("retired")
    reply = await wx.post(ADD_NEWS, {"articles": [article(thumb)]})
    assert errcode(reply) == 45106
    assert reply.json()["errmsg"].startswith("This API has been unsupported. For more details")
    await admin.set_news_api("legacy")
    await wx.call(ADD_NEWS, {"articles": [article(thumb)]})


class TestRetired:
    @pytest.fixture
    def config(self) -> SandboxConfig:
        return SandboxConfig(seed=5, start_time=START, news_api="retired")

    async def test_add_and_update_news_answer_45106(self, wx: WeChat) -> None:
        thumb = await wx.add_image()
        assert errcode(await wx.post(ADD_NEWS, {"articles": [article(thumb)]})) == 45106
        update = {"media_id": thumb, "index": 0, "articles": article(thumb)}
        assert errcode(await wx.post(UPDATE_NEWS, update)) == 45106
        # even without a body: the API is gone
        assert errcode(await wx.post(ADD_NEWS, None)) == 45106
        assert errcode(await wx.post(UPDATE_NEWS, None)) == 45106

    async def test_the_token_is_still_checked_first(self, wx: WeChat) -> None:
        wx.token = "garbage"
        assert errcode(await wx.post(ADD_NEWS, {"articles": []})) == 40014


async def test_news_is_retired_unless_legacy_is_asked_for() -> None:
    assert SandboxConfig().news_api == "retired"
    app = create_app(SandboxConfig(seed=5, start_time=START))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
            wx = WeChat(http)
            await wx.fetch_token()
            thumb = await wx.add_image()
            assert errcode(await wx.post(ADD_NEWS, {"articles": [article(thumb)]})) == 45106
    finally:
        app.state.sandbox.close()


async def test_legacy_news_stays_readable_listable_and_deletable_once_retired(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    thumb = await wx.add_image()
    media_id = (await wx.call(ADD_NEWS, {"articles": [article(thumb)]}))["media_id"]
    await admin.set_news_api("retired")
    got = await wx.call("/cgi-bin/material/get_material", {"media_id": media_id})
    assert got["news_item"][0]["title"] == "标题"
    listed = await wx.call(
        "/cgi-bin/material/batchget_material", {"type": "news", "offset": 0, "count": 20}
    )
    assert [item["media_id"] for item in listed["item"]] == [media_id]
    assert (await wx.call("/cgi-bin/material/get_materialcount", {}))["news_count"] == 1
    await wx.call("/cgi-bin/material/del_material", {"media_id": media_id})


@pytest.mark.parametrize(("argv", "mode"), [([], "retired"), (["--news-api", "legacy"], "legacy")])
def test_the_command_line_chooses_the_news_api(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], mode: str
) -> None:
    from wechat_material.sandbox import __main__ as command

    seen: dict[str, object] = {}
    monkeypatch.setattr(command, "serve", lambda *args, **kwargs: seen.update(kwargs))
    command.main(["--memory", *argv])
    assert seen["news_api"] == mode
