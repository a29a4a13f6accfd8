"""Truncated uploads are refused with 40005; oversized ones by size, before any parsing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from wechat_material.sandbox import DEMO_APPID, SandboxBackend

from ..wechat_wire import WeChat, errcode, media

pytestmark = pytest.mark.anyio
UPLOAD = "/cgi-bin/media/upload"
ADD = "/cgi-bin/material/add_material"
VIDEO_DESCRIPTION = json.dumps({"title": "标题", "introduction": "简介"}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("path", "type", "filename"),
    [
        (UPLOAD, "image", "image.jpg"),
        (UPLOAD, "image", "image.png"),
        (UPLOAD, "image", "image.gif"),
        (UPLOAD, "thumb", "thumb.jpg"),
        (UPLOAD, "voice", "voice-2s.amr"),
        (UPLOAD, "voice", "voice-2s.mp3"),
        (UPLOAD, "video", "video.mp4"),
        (ADD, "image", "image.bmp"),
        (ADD, "voice", "voice-2s.wav"),
        (ADD, "voice", "voice-2s.wma"),
        (ADD, "video", "video.mp4"),
        ("/cgi-bin/media/uploadimg", None, "image.png"),
    ],
)
async def test_a_truncated_upload_is_40005(
    wx: WeChat,
    backend: SandboxBackend,
    broken_media: Callable[[str], dict[str, bytes]],
    path: str,
    type: str | None,
    filename: str,
) -> None:
    fields = {"description": VIDEO_DESCRIPTION} if type == "video" and path == ADD else {}
    for what, data in broken_media(filename).items():
        reply = await wx.upload(path, filename, data, type, **fields)
        assert errcode(reply) == 40005, what
        assert reply.json()["errmsg"].startswith("invalid file type"), what
    # The whole file goes through, so it was the damage that was refused.
    whole = await wx.upload(path, filename, media(filename), type, **fields)
    assert "errcode" not in whole.json()
    assert backend.counters.snapshot(DEMO_APPID)[path] == len(broken_media(filename)) + 1


async def test_a_huge_voice_is_refused_by_size_without_being_parsed(
    wx: WeChat, big_voice: Path, media_parsing: Counter[str]
) -> None:
    # 10 MB: past the voice limit, within the upload's body cap, so the file checks see it.
    data = await anyio.Path(big_voice).read_bytes()
    assert errcode(await wx.upload(UPLOAD, "huge.amr", data, "voice")) == 40010
    assert errcode(await wx.upload(ADD, "huge.amr", data, "voice")) == 40010
    assert media_parsing == {}
    # A voice within the limits is still walked and timed.
    reply = await wx.upload(UPLOAD, "voice.amr", media("voice-2s.amr"), "voice")
    assert "media_id" in reply.json()
    assert media_parsing == {"damage": 1, "voice_duration": 1}


async def test_a_voice_past_the_body_cap_is_refused_before_the_form_is_read(
    wx: WeChat, huge_voice: Path, media_parsing: Counter[str]
) -> None:
    data = await anyio.Path(huge_voice).read_bytes()
    reply = await wx.upload(UPLOAD, "huge.amr", data, "voice")
    assert errcode(reply) == 45001
    assert reply.headers["connection"] == "close"
    assert media_parsing == {}
