"""Temporary media: uploads, the checks WeChat applies, downloads, expiry, uploadimg."""

from __future__ import annotations

import pytest

from wechat_material.sandbox import DEMO_APPID, AsyncSandboxAdmin, SandboxConfig

from ..wechat_wire import BASE, START, WeChat, errcode, media, padded

pytestmark = pytest.mark.anyio
UPLOAD = "/cgi-bin/media/upload"
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("type", "filename"),
    [
        ("image", "image.jpg"),
        ("image", "image.png"),
        ("image", "image.gif"),
        ("voice", "voice-2s.mp3"),
        ("voice", "voice-2s.amr"),
        ("video", "video.mp4"),
    ],
)
async def test_upload_each_accepted_type(wx: WeChat, type: str, filename: str) -> None:
    payload = (await wx.upload(UPLOAD, filename, media(filename), type)).json()
    assert set(payload) == {"type", "media_id", "created_at"}
    assert payload["type"] == type
    assert payload["created_at"] == int(START)
    assert len(payload["media_id"]) >= 32


async def test_thumb_upload_answers_thumb_media_id(wx: WeChat) -> None:
    payload = (await wx.upload(UPLOAD, "thumb.jpg", media("thumb.jpg"), "thumb")).json()
    assert set(payload) == {"type", "thumb_media_id", "created_at"}
    assert payload["type"] == "thumb"


@pytest.mark.parametrize(
    ("type", "filename", "data", "code"),
    [
        ("news", "image.jpg", media("image.jpg"), 40004),
        ("file", "image.jpg", media("image.jpg"), 40004),
        ("image", "image.bmp", media("image.bmp"), 40005),  # bmp: permanent only
        ("image", "notes.txt", media("not-media.txt"), 40005),
        ("image", "fake.jpg", media("not-media.txt"), 40005),  # content decides too
        ("image", "image", media("image.jpg"), 40005),  # no extension
        ("image", "voice.jpg", media("voice-2s.mp3"), 40005),
        ("voice", "voice.wav", media("voice-2s.wav"), 40005),  # wav: permanent only
        ("thumb", "thumb.png", media("image.png"), 40005),
        ("image", "empty.jpg", b"", 44001),
        ("image", "big.jpg", padded("image.jpg", 10 * MB + 1), 40009),
        ("voice", "long.mp3", padded("voice-2s.mp3", 2 * MB + 1), 40010),
        ("video", "big.mp4", padded("video.mp4", 10 * MB + 1), 40011),
        ("thumb", "big.jpg", padded("thumb.jpg", 64 * 1024 + 1), 40012),
        ("voice", "voice-61s.mp3", media("voice-61s.mp3"), 40010),  # over 60 s [assumed]
    ],
)
async def test_upload_errors(wx: WeChat, type: str, filename: str, data: bytes, code: int) -> None:
    assert errcode(await wx.upload(UPLOAD, filename, data, type)) == code


async def test_upload_without_type_is_40004(wx: WeChat) -> None:
    assert errcode(await wx.upload(UPLOAD, "image.jpg", media("image.jpg"))) == 40004


async def test_a_part_not_named_media_is_41005(wx: WeChat) -> None:
    reply = await wx.http.post(
        UPLOAD,
        params={"access_token": wx.token, "type": "image"},
        files={"file": ("image.jpg", media("image.jpg"))},
    )
    assert errcode(reply) == 41005


async def test_a_part_without_filename_is_41005(wx: WeChat) -> None:
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="media"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + media("image.jpg") + b"\r\n--xyz--\r\n"
    )
    reply = await wx.http.post(
        UPLOAD,
        params={"access_token": wx.token, "type": "image"},
        content=body,
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert errcode(reply) == 41005


async def test_rfc2231_filename_only_is_41005(wx: WeChat) -> None:
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="media"; '
        b"filename*=UTF-8''%E7%8C%AB.jpg\r\n"
        b"Content-Type: image/jpeg\r\n\r\n" + media("image.jpg") + b"\r\n--xyz--\r\n"
    )
    reply = await wx.http.post(
        UPLOAD,
        params={"access_token": wx.token, "type": "image"},
        content=body,
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert errcode(reply) == 41005


async def test_not_a_form_is_41005(wx: WeChat) -> None:
    reply = await wx.http.post(
        UPLOAD, params={"access_token": wx.token, "type": "image"}, content=media("image.jpg")
    )
    assert errcode(reply) == 41005


async def test_non_ascii_filename_in_plain_utf8(wx: WeChat) -> None:
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="media"; '
        + 'filename="小猫 照片.jpg"'.encode()
        + b"\r\nContent-Type: image/jpeg\r\n\r\n"
        + media("image.jpg")
        + b"\r\n--xyz--\r\n"
    )
    reply = await wx.http.post(
        "/cgi-bin/material/add_material",
        params={"access_token": wx.token, "type": "image"},
        content=body,
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert "media_id" in reply.json()
    listing = await wx.call(
        "/cgi-bin/material/batchget_material", {"type": "image", "offset": 0, "count": 1}
    )
    assert listing["item"][0]["name"] == "小猫 照片.jpg"


async def test_path_in_filename_is_dropped(wx: WeChat) -> None:
    await wx.add_material("image", "../../etc/cat.jpg", media("image.jpg"))
    await wx.add_material("image", "C:\\photos\\dog.jpg", media("image.jpg"))
    listing = await wx.call(
        "/cgi-bin/material/batchget_material", {"type": "image", "offset": 0, "count": 2}
    )
    assert [item["name"] for item in listing["item"]] == ["dog.jpg", "cat.jpg"]


async def test_media_get_returns_the_file_with_wechat_headers(wx: WeChat) -> None:
    data = media("image.png")
    media_id = (await wx.upload(UPLOAD, "image.png", data, "image")).json()["media_id"]
    reply = await wx.get("/cgi-bin/media/get", media_id=media_id)
    assert reply.status_code == 200
    assert reply.content == data
    assert reply.headers["content-type"] == "image/png"
    assert reply.headers["content-disposition"] == f'attachment; filename="{media_id}.png"'
    assert reply.headers["cache-control"] == "no-cache, must-revalidate"
    assert reply.headers["content-length"] == str(len(data))


async def test_media_get_of_a_video_is_a_video_url(wx: WeChat) -> None:
    data = media("video.mp4")
    media_id = (await wx.upload(UPLOAD, "video.mp4", data, "video")).json()["media_id"]
    payload = (await wx.get("/cgi-bin/media/get", media_id=media_id)).json()
    assert set(payload) == {"video_url"}
    assert payload["video_url"].startswith(f"{BASE}/mmbiz/")
    video = await wx.http.get(payload["video_url"])
    assert video.content == data
    assert video.headers["content-type"] == "video/mp4"


async def test_media_get_errors(wx: WeChat) -> None:
    assert errcode(await wx.get("/cgi-bin/media/get")) == 41006
    assert errcode(await wx.get("/cgi-bin/media/get", media_id="x" * 64)) == 40007


async def test_permanent_ids_are_not_temporary_media(wx: WeChat) -> None:
    media_id = await wx.add_image()
    assert errcode(await wx.get("/cgi-bin/media/get", media_id=media_id)) == 40007


async def test_temporary_media_expire_after_three_days(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    video = (await wx.upload(UPLOAD, "video.mp4", media("video.mp4"), "video")).json()
    image = (await wx.upload(UPLOAD, "image.jpg", media("image.jpg"), "image")).json()
    video_url = (await wx.get("/cgi-bin/media/get", media_id=video["media_id"])).json()
    await admin.advance(3 * 86400 - 1)
    await wx.fetch_token()
    assert (await wx.get("/cgi-bin/media/get", media_id=image["media_id"])).status_code == 200
    await admin.advance(1)
    await wx.fetch_token()
    assert errcode(await wx.get("/cgi-bin/media/get", media_id=image["media_id"])) == 40007
    assert (await wx.http.get(video_url["video_url"])).status_code == 404
    # A new upload sweeps the expired ones away; they stay 40007.
    await wx.upload(UPLOAD, "image.png", media("image.png"), "image")
    assert errcode(await wx.get("/cgi-bin/media/get", media_id=video["media_id"])) == 40007


async def test_another_accounts_media_is_40007(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    media_id = (await wx.upload(UPLOAD, "image.jpg", media("image.jpg"), "image")).json()
    await admin.add_account("wxbbbbbbbbbbbbbbbb", "b" * 32)
    other = WeChat(wx.http)
    await other.fetch_token("wxbbbbbbbbbbbbbbbb", "b" * 32)
    assert errcode(await other.get("/cgi-bin/media/get", media_id=media_id["media_id"])) == 40007


async def test_jssdk_voice(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    speex = b"OggS" + bytes(24) + b"Speex   " + bytes(200)
    media_id = await admin.add_jssdk_voice(DEMO_APPID, speex)
    reply = await wx.get("/cgi-bin/media/get/jssdk", media_id=media_id)
    assert reply.content == speex
    assert reply.headers["content-type"] == "audio/speex"
    assert reply.headers["content-disposition"] == f'attachment; filename="{media_id}.speex"'
    plain = (await wx.upload(UPLOAD, "v.amr", media("voice-2s.amr"), "voice")).json()
    assert errcode(await wx.get("/cgi-bin/media/get/jssdk", media_id=plain["media_id"])) == 40007
    assert errcode(await wx.get("/cgi-bin/media/get/jssdk")) == 41006


async def test_uploadimg_hosts_an_image_outside_the_caps(wx: WeChat) -> None:
    data = media("image.png")
    reply = await wx.upload("/cgi-bin/media/uploadimg", "image.png", data)
    url = reply.json()["url"]
    assert set(reply.json()) == {"url"}
    assert url.startswith(f"{BASE}/mmbiz/mmbiz_png/")
    served = await wx.http.get(url)
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    counts = (await wx.get("/cgi-bin/material/get_materialcount")).json()
    assert counts["image_count"] == 0


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("image.gif", media("image.gif"), 40005),
        ("image.bmp", media("image.bmp"), 40005),
        ("big.jpg", padded("image.jpg", MB + 1), 40009),
        (None, media("image.jpg"), 41005),
    ],
)
async def test_uploadimg_errors(wx: WeChat, filename: str | None, data: bytes, code: int) -> None:
    assert errcode(await wx.upload("/cgi-bin/media/uploadimg", filename, data)) == code


async def test_uploadvideo_makes_a_mass_send_video(wx: WeChat) -> None:
    video = (await wx.upload(UPLOAD, "video.mp4", media("video.mp4"), "video")).json()
    reply = await wx.call(
        "/cgi-bin/media/uploadvideo",
        {"media_id": video["media_id"], "title": "标题", "description": "说明"},
    )
    assert reply["type"] == "video"
    assert reply["media_id"] != video["media_id"]
    assert reply["created_at"] == int(START)
    image = (await wx.upload(UPLOAD, "image.jpg", media("image.jpg"), "image")).json()
    not_video = {"media_id": image["media_id"], "title": "t", "description": "d"}
    assert errcode(await wx.post("/cgi-bin/media/uploadvideo", not_video)) == 40007
    assert errcode(await wx.post("/cgi-bin/media/uploadvideo", {"title": "t"})) == 41006
    # a mass-send video has no file of its own
    assert errcode(await wx.get("/cgi-bin/media/get", media_id=reply["media_id"])) == 40007


async def test_uploadnews_accepts_temporary_covers(wx: WeChat) -> None:
    thumb = (await wx.upload(UPLOAD, "thumb.jpg", media("thumb.jpg"), "thumb")).json()
    article = {"title": "群发", "thumb_media_id": thumb["thumb_media_id"], "content": "<p>x</p>"}
    reply = await wx.call("/cgi-bin/media/uploadnews", {"articles": [article] * 8})
    assert reply["type"] == "news"
    assert reply["created_at"] == int(START)
    nine = {"articles": [article] * 9}
    assert errcode(await wx.post("/cgi-bin/media/uploadnews", nine)) == 40097
    bad = {"articles": [{**article, "thumb_media_id": "nope"}]}
    assert errcode(await wx.post("/cgi-bin/media/uploadnews", bad)) == 40007


class TestRequestSizeLimit:
    @pytest.fixture
    def config(self) -> SandboxConfig:
        return SandboxConfig(seed=5, start_time=START, max_request_bytes=256 * 1024)

    async def test_an_upload_over_the_limit_is_45001(self, wx: WeChat) -> None:
        reply = await wx.upload(UPLOAD, "big.jpg", padded("image.jpg", 300 * 1024), "image")
        assert errcode(reply) == 45001
        # the sandbox is still fine afterwards
        small = await wx.upload(UPLOAD, "image.jpg", media("image.jpg"), "image")
        assert "media_id" in small.json()

    async def test_a_json_body_over_the_limit_is_47001(self, wx: WeChat) -> None:
        body = {"articles": [{"title": "x", "content": "x" * 300 * 1024}]}
        assert errcode(await wx.post("/cgi-bin/draft/add", body)) == 47001
