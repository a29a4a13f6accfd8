"""How replies are labelled: as WeChat labels them, endpoint by endpoint and outcome by outcome.

The download endpoints (media/get, material/get_material, media/get/jssdk)
answer a file on success and their errors labelled ``text/plain``, as users
of several SDKs found (node-webot/wechat-api pull requests #4 and #204,
foxinmy/weixin4j issue #15); their JSON successes (a video's link) and every
other reply are labelled ``application/json; encoding=utf-8``. The admin
setting ``json_content_type`` forces one label on all of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from wechat_material import WeChatClient
from wechat_material.errors import NotFoundError
from wechat_material.sandbox import AsyncSandboxAdmin, SandboxConfig, run_in_thread

from ..wechat_wire import START, WeChat, errcode, media

pytestmark = pytest.mark.anyio
JSON = "application/json; encoding=utf-8"
GET_MEDIA = "/cgi-bin/media/get"
GET_MATERIAL = "/cgi-bin/material/get_material"
GET_JSSDK = "/cgi-bin/media/get/jssdk"


def label(reply: httpx.Response) -> str:
    """The Content-Type, text/plain's charset parameter (Starlette's) left out."""
    return str(reply.headers["content-type"]).removesuffix("; charset=utf-8")


async def _download_errors(wx: WeChat) -> list[httpx.Response]:
    return [
        await wx.get(GET_MEDIA, media_id="nope"),
        await wx.get(GET_MEDIA),  # 41006: no media_id
        await wx.post(GET_MATERIAL, {"media_id": "nope"}),
        await wx.get(GET_JSSDK, media_id="nope"),
        await wx.http.get(GET_MEDIA, params={"access_token": "forged", "media_id": "x"}),
    ]


async def test_download_errors_are_text_plain(wx: WeChat) -> None:
    codes = []
    for reply in await _download_errors(wx):
        assert label(reply) == "text/plain"
        codes.append(errcode(reply))  # still WeChat's JSON error body
    assert codes == [40007, 41006, 40007, 40007, 40014]


async def test_other_errors_and_json_successes_are_json(wx: WeChat) -> None:
    missing_draft = await wx.post("/cgi-bin/draft/get", {"media_id": "nope"})
    assert (label(missing_draft), errcode(missing_draft)) == (JSON, 40007)
    video = await wx.upload("/cgi-bin/media/upload", "video.mp4", media("video.mp4"), "video")
    link = await wx.get(GET_MEDIA, media_id=video.json()["media_id"])
    assert label(link) == JSON
    assert "video_url" in link.json()
    description = json.dumps({"title": "t", "introduction": "i"})
    video_id = await wx.add_material(
        "video", "video.mp4", media("video.mp4"), description=description
    )
    material = await wx.post(GET_MATERIAL, {"media_id": video_id})
    assert label(material) == JSON
    assert "down_url" in material.json()
    image = await wx.add_image()
    assert label(await wx.post(GET_MATERIAL, {"media_id": image})) == "image/jpeg"


async def test_an_injected_fault_on_a_download_is_labelled_like_a_real_error(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    await admin.set_faults(GET_MATERIAL, error_rate=1.0, errcode=45009, count=1)
    image = await wx.add_image()
    reply = await wx.post(GET_MATERIAL, {"media_id": image})
    assert (label(reply), errcode(reply)) == ("text/plain", 45009)


@pytest.mark.parametrize("forced", [JSON, "text/plain"])
async def test_the_setting_forces_one_label_on_every_json_reply(
    wx: WeChat, admin: AsyncSandboxAdmin, forced: str
) -> None:
    await admin.set_json_content_type(forced)
    for reply in await _download_errors(wx):
        assert label(reply) == forced
    assert label(await wx.get("/cgi-bin/material/get_materialcount")) == forced
    await admin.set_json_content_type("wechat")
    assert label(await wx.get(GET_MEDIA, media_id="nope")) == "text/plain"
    assert label(await wx.get("/cgi-bin/material/get_materialcount")) == JSON


async def test_a_reset_brings_back_wechats_labels(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    await admin.set_json_content_type(JSON)
    await admin.reset()
    await wx.fetch_token()
    assert label(await wx.get(GET_MEDIA, media_id="nope")) == "text/plain"


def test_labels_over_a_real_socket_and_the_sdk_still_reads_the_error(tmp_path: Path) -> None:
    with run_in_thread(SandboxConfig(seed=3, start_time=START)) as sandbox:
        appid, secret = sandbox.backend.config.accounts[0]
        with (
            WeChatClient(appid, secret, base_url=sandbox.base_url) as wc,
            httpx.Client(base_url=sandbox.base_url) as http,
        ):
            token = wc.get_access_token()
            reply = http.get(GET_MEDIA, params={"access_token": token, "media_id": "nope"})
            assert label(reply) == "text/plain"
            assert reply.json()["errcode"] == 40007
            count = http.get("/cgi-bin/draft/count", params={"access_token": token})
            assert label(count) == JSON
            # The client goes by the body, not the label: a typed error, no file written.
            target = tmp_path / "cat.jpg"
            with pytest.raises(NotFoundError):
                wc.material.download_media("nope", target)
            assert not target.exists()
