"""Format sniffing and voice durations on the real sample files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from wechat_material.limits import MediaFormat
from wechat_material.mediainfo import SNIFF_BYTES, detect_format, voice_duration


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("image.jpg", MediaFormat.JPG),
        ("thumb.jpg", MediaFormat.JPG),
        ("image.png", MediaFormat.PNG),
        ("image.gif", MediaFormat.GIF),
        ("image.bmp", MediaFormat.BMP),
        ("video.mp4", MediaFormat.MP4),
        ("voice-2s.mp3", MediaFormat.MP3),
        ("voice-2s.amr", MediaFormat.AMR),
        ("voice-2s.wav", MediaFormat.WAV),
        ("voice-2s.wma", MediaFormat.WMA),
        ("not-media.txt", None),
    ],
)
def test_detects_format_from_content(media_dir: Path, name: str, fmt: MediaFormat | None) -> None:
    head = (media_dir / name).read_bytes()[:SNIFF_BYTES]
    assert detect_format(head) is fmt


def test_names_do_not_matter(media_dir: Path) -> None:
    # A PNG called .jpg is still a PNG.
    assert detect_format((media_dir / "image.png").read_bytes()) is MediaFormat.PNG


@pytest.mark.parametrize("head", [b"", b"BM", b"\xff\xfb", b"RIFF0000AVI ", b"GIF90a"])
def test_near_misses_are_not_media(head: bytes) -> None:
    assert detect_format(head) is None


@pytest.mark.parametrize(
    ("name", "seconds"),
    [
        ("voice-2s.mp3", 2.0),
        ("voice-2s.amr", 2.0),
        ("voice-2s.wav", 2.0),
        ("voice-2s.wma", 2.0),
        ("voice-61s.mp3", 61.2),
    ],
)
def test_voice_duration(media_dir: Path, name: str, seconds: float) -> None:
    data = io.BytesIO((media_dir / name).read_bytes())
    data.seek(0)
    fmt = detect_format(data.getvalue())
    assert fmt is not None
    assert voice_duration(data, fmt) == pytest.approx(seconds, abs=0.2)
    assert data.tell() == 0  # the position is restored for the upload that follows


def test_duration_unknown_for_damaged_or_unseekable(media_dir: Path) -> None:
    mp3 = (media_dir / "voice-2s.mp3").read_bytes()
    assert voice_duration(io.BytesIO(b"#!AMR\n\x48"), MediaFormat.AMR) is None
    assert voice_duration(io.BytesIO(b"RIFF\x00\x00\x00\x00WAVEjunk"), MediaFormat.WAV) is None

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    assert voice_duration(Pipe(mp3), MediaFormat.MP3) is None
