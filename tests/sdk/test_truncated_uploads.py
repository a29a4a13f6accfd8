"""The SDK refuses truncated media, and oversized media unread, before anything is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from wechat_material.errors import MediaValidationError
from wechat_material.limits import MaterialType, Target
from wechat_material.uploads import prepare_upload

from .harness import Both
from .test_uploads import OneWayStream

TEMPORARY = [
    ("image", "image.jpg"),
    ("image", "image.png"),
    ("image", "image.gif"),
    ("voice", "voice-2s.amr"),
    ("voice", "voice-2s.mp3"),
    ("video", "video.mp4"),
]
PERMANENT = [("image", "image.bmp"), ("voice", "voice-2s.wav"), ("voice", "voice-2s.wma")]


async def test_truncated_temporary_media_is_refused_before_sending(
    wx: Both, tmp_path: Path, broken_media: Callable[[str], dict[str, bytes]]
) -> None:
    for kind, name in TEMPORARY:
        for number, data in enumerate(broken_media(name).values()):
            path = tmp_path / f"{number}-{name}"
            path.write_bytes(data)
            with pytest.raises(MediaValidationError, match="truncated or corrupt") as caught:
                await wx(wx.client.material.upload_media, kind, path)
            assert caught.value.file == str(path)
            assert str(path) in str(caught.value)
    assert await wx.api_calls() == 0


async def test_truncated_permanent_media_is_refused_before_sending(
    wx: Both, broken_media: Callable[[str], dict[str, bytes]]
) -> None:
    for kind, name in PERMANENT:
        for data in broken_media(name).values():
            with pytest.raises(MediaValidationError, match=r"the given bytes .* truncated"):
                await wx(wx.client.material.add_material, kind, data)
    with pytest.raises(MediaValidationError, match="no 'moov' box"):
        await wx(
            wx.client.material.add_video_material,
            broken_media("video.mp4")["without its moov box"],
            "标题",
            "简介",
        )
    assert await wx.api_calls() == 0


async def test_a_huge_voice_is_refused_by_size_without_being_parsed(
    wx: Both, huge_voice: Path, media_parsing: Counter[str]
) -> None:
    for upload in (wx.client.material.upload_media, wx.client.material.add_material):
        with pytest.raises(MediaValidationError, match=r"31\.0 MB, over the limit"):
            await wx(upload, "voice", huge_voice)
    assert media_parsing == {}
    assert await wx.api_calls() == 0


def test_a_huge_voice_from_a_pipe_is_not_parsed(
    huge_voice: Path, media_parsing: Counter[str]
) -> None:
    stream = OneWayStream(huge_voice.read_bytes())
    with pytest.raises(MediaValidationError, match="larger than allowed"):
        prepare_upload(stream, filename=None, target=Target.TEMPORARY, type=MaterialType.VOICE)
    assert media_parsing == {}


def test_a_whole_sample_still_goes_out(media_dir: Path, media_parsing: Counter[str]) -> None:
    upload = prepare_upload(
        media_dir / "voice-2s.amr", filename=None, target=Target.TEMPORARY, type=MaterialType.VOICE
    )
    try:
        assert upload.duration is not None
    finally:
        upload.close()
    assert media_parsing == {"damage": 1, "voice_duration": 1}
