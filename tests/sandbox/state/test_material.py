"""Permanent material: add, get, delete, count, list, caps, video descriptions."""

from __future__ import annotations

import json

import pytest

from wechat_material.limits import MaterialType
from wechat_material.sandbox import DEMO_APPID, AsyncSandboxAdmin, SandboxBackend, SandboxConfig
from wechat_material.sandbox.state import SandboxError

from ..wechat_wire import BASE, START, WeChat, article, errcode, media

pytestmark = pytest.mark.anyio
ADD = "/cgi-bin/material/add_material"
GET = "/cgi-bin/material/get_material"
DESCRIPTION = json.dumps({"title": "视频", "introduction": "介绍"}, ensure_ascii=False)


async def test_add_image_answers_id_and_served_url(wx: WeChat) -> None:
    reply = (await wx.upload(ADD, "image.jpg", media("image.jpg"), "image")).json()
    assert set(reply) == {"media_id", "url"}
    assert len(reply["media_id"]) >= 32
    assert reply["url"].startswith(f"{BASE}/mmbiz/mmbiz_jpg/")
    served = await wx.http.get(reply["url"])
    assert served.content == media("image.jpg")
    assert served.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("type", "filename"),
    [
        ("image", "image.bmp"),
        ("voice", "voice-2s.wav"),
        ("voice", "voice-2s.wma"),
        ("voice", "voice-2s.amr"),
        ("thumb", "thumb.jpg"),
    ],
)
async def test_other_types_have_no_url(wx: WeChat, type: str, filename: str) -> None:
    reply = (await wx.upload(ADD, filename, media(filename), type)).json()
    assert ("url" in reply) == (type == "image")


@pytest.mark.parametrize("type", ["image", "voice", "thumb"])
async def test_get_material_returns_the_file(wx: WeChat, type: str) -> None:
    filename = {"image": "image.gif", "voice": "voice-2s.mp3", "thumb": "thumb.jpg"}[type]
    media_id = await wx.add_material(type, filename, media(filename))
    reply = await wx.post(GET, {"media_id": media_id})
    assert reply.content == media(filename)
    ext = filename.rsplit(".", 1)[1]
    assert reply.headers["content-disposition"] == f'attachment; filename="{media_id}.{ext}"'
    assert reply.headers["cache-control"] == "no-cache, must-revalidate"


async def test_video_with_description_as_form_field(wx: WeChat) -> None:
    media_id = await wx.add_material(
        "video", "video.mp4", media("video.mp4"), description=DESCRIPTION
    )
    reply = await wx.call(GET, {"media_id": media_id})
    assert reply["title"] == "视频"
    assert reply["description"] == "介绍"
    assert (await wx.http.get(reply["down_url"])).content == media("video.mp4")


async def test_a_video_link_is_shaped_like_a_video_cdn_path(wx: WeChat) -> None:
    media_id = await wx.add_material(
        "video", "video.mp4", media("video.mp4"), description=DESCRIPTION
    )
    down_url = (await wx.call(GET, {"media_id": media_id}))["down_url"]
    assert down_url.startswith(f"{BASE}/mmbiz/mmbiz_video/")
    assert not down_url.endswith("/0")


async def test_video_with_description_in_the_query(wx: WeChat) -> None:
    reply = await wx.http.post(
        ADD,
        params={"access_token": wx.token, "type": "video", "description": DESCRIPTION},
        files={"media": ("video.mp4", media("video.mp4"))},
    )
    media_id = reply.json()["media_id"]
    assert set(reply.json()) == {"media_id"}
    assert (await wx.call(GET, {"media_id": media_id}))["title"] == "视频"


@pytest.mark.parametrize(
    ("description", "code"),
    [
        (None, 40097),
        ("not json", 40097),
        (json.dumps({"title": "only a title"}), 40097),
        (json.dumps({"title": "", "introduction": "x"}), 40097),
        (json.dumps({"title": "t" * 65, "introduction": "x"}), 45003),
        (json.dumps({"title": "t", "introduction": "i" * 121}), 45004),
    ],
)
async def test_video_description_errors(wx: WeChat, description: str | None, code: int) -> None:
    fields = {"description": description} if description is not None else {}
    reply = await wx.upload(ADD, "video.mp4", media("video.mp4"), "video", **fields)
    assert errcode(reply) == code


async def test_add_material_errors(wx: WeChat) -> None:
    assert errcode(await wx.upload(ADD, "image.jpg", media("image.jpg"), "news")) == 40004
    assert errcode(await wx.upload(ADD, None, media("image.jpg"), "image")) == 41005
    assert errcode(await wx.upload(ADD, "image.png", media("image.jpg"), "thumb")) == 40005


async def test_get_material_errors(wx: WeChat) -> None:
    temp = await wx.upload("/cgi-bin/media/upload", "image.jpg", media("image.jpg"), "image")
    assert errcode(await wx.post(GET, {"media_id": temp.json()["media_id"]})) == 40007
    assert errcode(await wx.post(GET, {"media_id": "unknown"})) == 40007
    assert errcode(await wx.post(GET, {})) == 41006


async def test_del_material(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    media_id = await wx.add_image()
    url = (await wx.call("/cgi-bin/material/batchget_material", {"type": "image", "count": 1}))[
        "item"
    ][0]["url"]
    assert await wx.call("/cgi-bin/material/del_material", {"media_id": media_id}) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    assert errcode(await wx.post(GET, {"media_id": media_id})) == 40007
    assert errcode(await wx.post("/cgi-bin/material/del_material", {"media_id": media_id})) == 40007
    assert (await wx.http.get(url)).status_code == 404


async def test_protected_material_cannot_be_deleted(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    media_id = await wx.add_image()
    await admin.protect(DEMO_APPID, media_id)
    assert errcode(await wx.post("/cgi-bin/material/del_material", {"media_id": media_id})) == 48005


async def test_get_materialcount(wx: WeChat) -> None:
    await wx.add_image()
    await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    await wx.add_material("voice", "voice-2s.mp3", media("voice-2s.mp3"))
    await wx.add_material("video", "video.mp4", media("video.mp4"), description=DESCRIPTION)
    counts = (await wx.get("/cgi-bin/material/get_materialcount")).json()
    assert counts == {"voice_count": 1, "video_count": 1, "image_count": 2, "news_count": 0}


async def test_batchget_pages_newest_first(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    ids = []
    for _ in range(23):
        ids.append(await wx.add_image())
        await admin.advance(1)
    newest_first = ids[::-1]
    first = await wx.call(
        "/cgi-bin/material/batchget_material", {"type": "image", "offset": 0, "count": 20}
    )
    assert first["total_count"] == 23
    assert first["item_count"] == 20
    assert [item["media_id"] for item in first["item"]] == newest_first[:20]
    item = first["item"][0]
    assert set(item) == {"media_id", "name", "update_time", "url"}
    assert item["update_time"] == int(START) + 22
    rest = await wx.call(
        "/cgi-bin/material/batchget_material", {"type": "image", "offset": 20, "count": 20}
    )
    assert [item["media_id"] for item in rest["item"]] == newest_first[20:]
    past = await wx.call(
        "/cgi-bin/material/batchget_material", {"type": "image", "offset": 50, "count": 20}
    )
    assert past == {"total_count": 23, "item_count": 0, "item": []}


async def test_batchget_voice_items_have_no_url(wx: WeChat) -> None:
    await wx.add_material("voice", "voice-2s.amr", media("voice-2s.amr"))
    listing = await wx.call("/cgi-bin/material/batchget_material", {"type": "voice", "count": 5})
    assert listing["item"][0]["url"] == ""
    assert listing["item"][0]["name"] == "voice-2s.amr"


async def test_batchget_reply_is_the_wire_json(wx: WeChat) -> None:
    """The listing is sent as the other replies are: compact UTF-8 JSON, non-ASCII as it
    is, the keys in WeChat's order, thumbs listed (with their URLs) among the images."""
    image = await wx.add_material("image", "图片 1.jpg", media("image.jpg"))
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    reply = await wx.post(
        "/cgi-bin/material/batchget_material", {"type": "image", "offset": 0, "count": 20}
    )
    assert reply.headers["content-type"] == "application/json; encoding=utf-8"
    listing = reply.json()
    encoded = json.dumps(listing, ensure_ascii=False, separators=(",", ":")).encode()
    assert reply.content == encoded
    assert '"name":"图片 1.jpg"'.encode() in reply.content
    assert list(listing) == ["total_count", "item_count", "item"]
    assert [list(item) for item in listing["item"]] == [
        ["media_id", "name", "update_time", "url"]
    ] * 2
    assert {item["media_id"] for item in listing["item"]} == {image, thumb}
    assert all(type(item["update_time"]) is int for item in listing["item"])
    assert all(item["url"].startswith(f"{BASE}/mmbiz/mmbiz_jpg/") for item in listing["item"])


async def test_batchget_video_items_have_no_url(wx: WeChat) -> None:
    await wx.add_material("video", "片.mp4", media("video.mp4"), description=DESCRIPTION)
    listing = await wx.call("/cgi-bin/material/batchget_material", {"type": "video", "count": 5})
    assert listing["item_count"] == 1
    assert listing["item"][0]["url"] == ""
    assert listing["item"][0]["name"] == "片.mp4"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "image", "offset": 0, "count": 0}, 40097),
        ({"type": "image", "offset": 0, "count": 21}, 40097),
        ({"type": "image", "offset": -1, "count": 5}, 40097),
        ({"type": "image", "offset": 2**70, "count": 5}, 40097),
        ({"type": "image", "offset": 0}, 40097),
        ({"type": "image", "offset": 0, "count": "many"}, 47001),
        ({"type": "thumbs", "offset": 0, "count": 5}, 40004),
        ({"offset": 0, "count": 5}, 40004),
    ],
)
async def test_batchget_errors(wx: WeChat, body: dict[str, object], code: int) -> None:
    assert errcode(await wx.post("/cgi-bin/material/batchget_material", body)) == code


class TestCaps:
    @pytest.fixture
    def config(self) -> SandboxConfig:
        caps = {
            frozenset({MaterialType.IMAGE, MaterialType.NEWS}): 2,
            frozenset({MaterialType.VOICE}): 1,
            frozenset({MaterialType.VIDEO}): 1,
            frozenset({MaterialType.THUMB}): 1,
        }
        return SandboxConfig(seed=5, start_time=START, permanent_caps=caps, news_api="legacy")

    async def test_each_cap_answers_45001(self, wx: WeChat) -> None:
        image = await wx.add_image()
        await wx.call(
            "/cgi-bin/material/add_news",
            {"articles": [{"title": "t", "thumb_media_id": image, "content": "c"}]},
        )
        assert errcode(await wx.upload(ADD, "image.jpg", media("image.jpg"), "image")) == 45001
        await wx.add_material("voice", "v.mp3", media("voice-2s.mp3"))
        assert errcode(await wx.upload(ADD, "v.mp3", media("voice-2s.mp3"), "voice")) == 45001
        # temporary media and article images are outside the caps
        temp = await wx.upload("/cgi-bin/media/upload", "image.jpg", media("image.jpg"), "image")
        assert "media_id" in temp.json()
        hosted = await wx.upload("/cgi-bin/media/uploadimg", "image.jpg", media("image.jpg"))
        assert "url" in hosted.json()

    async def test_news_counts_in_the_group_it_shares(
        self, wx: WeChat, backend: SandboxBackend
    ) -> None:
        image = await wx.add_image()
        await wx.add_image()
        reply = await wx.post("/cgi-bin/material/add_news", {"articles": [article(image)]})
        assert errcode(reply) == 45001
        with pytest.raises(SandboxError) as caught:
            backend.materials.add_news(DEMO_APPID, [article(image)])
        assert caught.value.detail == "the account already holds 2 image/news"

    async def test_deleting_frees_room(self, wx: WeChat) -> None:
        await wx.add_image()
        second = await wx.add_image()
        await wx.call("/cgi-bin/material/del_material", {"media_id": second})
        await wx.add_image()
