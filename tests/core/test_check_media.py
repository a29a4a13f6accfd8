"""check_media: the one judgement of an upload's content, shared by the SDK and the sandbox."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from wechat_material.checks import check_media
from wechat_material.limits import MaterialType, MediaFormat, Target, limit_for

VOICE = limit_for(Target.TEMPORARY, MaterialType.VOICE)
IMAGE = limit_for(Target.PERMANENT, MaterialType.IMAGE)


def test_a_whole_voice_is_timed(media_dir: Path, media_parsing: Counter[str]) -> None:
    data = io.BytesIO((media_dir / "voice-2s.amr").read_bytes())
    verdict = check_media(VOICE, data, len(data.getvalue()))
    assert verdict.problem is None
    assert verdict.format is MediaFormat.AMR
    assert verdict.duration == pytest.approx(2.0, abs=0.1)
    assert media_parsing == {"damage": 1, "voice_duration": 1}
    assert data.tell() == 0


def test_a_huge_voice_is_refused_by_size_before_any_parsing(
    huge_voice: Path, media_parsing: Counter[str]
) -> None:
    with huge_voice.open("rb") as file:
        verdict = check_media(VOICE, file, huge_voice.stat().st_size)
        assert file.tell() == 0
    assert verdict.problem is not None
    assert verdict.problem.errcode == 40010
    assert "31.0 MB, over the limit" in verdict.problem.message
    assert media_parsing == {}


@pytest.mark.parametrize("name", ["image.jpg", "image.png", "image.gif", "image.bmp"])
def test_a_truncated_image_is_40005(
    name: str, broken_media: Callable[[str], dict[str, bytes]]
) -> None:
    for what, data in broken_media(name).items():
        verdict = check_media(IMAGE, io.BytesIO(data), len(data))
        assert verdict.problem is not None, f"{name} {what}"
        assert verdict.problem.errcode == 40005
        assert "looks truncated or corrupt" in verdict.problem.message


def test_a_truncated_voice_is_refused_before_it_is_timed(
    broken_media: Callable[[str], dict[str, bytes]], media_parsing: Counter[str]
) -> None:
    data = broken_media("voice-2s.amr")["cut to 1635 bytes"]
    verdict = check_media(VOICE, io.BytesIO(data), len(data))
    assert verdict.problem is not None
    assert verdict.problem.errcode == 40005
    assert "its last frame is cut short" in verdict.problem.message
    assert media_parsing == {"damage": 1}


def test_wrong_type_and_unknown_size_are_judged_without_parsing(
    media_dir: Path, media_parsing: Counter[str]
) -> None:
    mp3 = (media_dir / "voice-2s.mp3").read_bytes()
    wrong = check_media(IMAGE, io.BytesIO(mp3), len(mp3))
    assert wrong.problem is not None
    assert wrong.problem.errcode == 40005
    # Size None: a stream cut off past the limit, whose end is not there to check.
    unknown = check_media(VOICE, io.BytesIO(mp3), None)
    assert unknown.problem is None
    assert unknown.format is MediaFormat.MP3
    assert media_parsing == {}


def test_untimed_check_still_checks_the_end(media_dir: Path, media_parsing: Counter[str]) -> None:
    amr = (media_dir / "voice-2s.amr").read_bytes()
    verdict = check_media(VOICE, io.BytesIO(amr), len(amr), timed=False)
    assert verdict.problem is None
    assert verdict.duration is None
    assert media_parsing == {"damage": 1}
