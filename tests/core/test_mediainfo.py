"""Format sniffing and voice durations on the real sample files."""

from __future__ import annotations

import io
import struct
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


BMP_HEAD = b"BM" + bytes(12)  # the file header; the DIB header's size follows at byte 14


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\xff\xfb\x90\x00", MediaFormat.MP3),  # a bare MPEG audio frame header
        (b"\xff\xe3\x88\x00", MediaFormat.MP3),  # MPEG-2.5
        (b"ID3\x04", MediaFormat.MP3),
        (BMP_HEAD + struct.pack("<I", 40), MediaFormat.BMP),  # 18 bytes are enough
        (BMP_HEAD + struct.pack("<I", 124), MediaFormat.BMP),
        (b"GIF87a", MediaFormat.GIF),
        (b"GIF89a", MediaFormat.GIF),
        (b"OggS" + bytes(24) + b"Speex   ", MediaFormat.SPEEX),
    ],
)
def test_detects_short_heads(head: bytes, fmt: MediaFormat) -> None:
    assert detect_format(head) is fmt


@pytest.mark.parametrize(
    "head",
    [
        b"\xff\xfb\x90",  # too short for a frame header
        b"\xfe\xfb\x90\x00",  # no sync byte
        b"\xff\x1b\x90\x00",  # sync bits missing
        b"\xff\xeb\x90\x00",  # reserved MPEG version
        b"\xff\xf9\x90\x00",  # reserved layer
        b"\xff\xfb\x00\x00",  # free-format bitrate
        b"\xff\xfb\xf0\x00",  # bad bitrate
        b"\xff\xfb\x9c\x00",  # reserved sample rate
        BMP_HEAD + struct.pack("<I", 41),  # no such DIB header
        BMP_HEAD + struct.pack("<I", 40)[:3],
        b"OggS" + bytes(24) + b"\x01vorbis",  # Ogg, but not Speex
        b"Speex" + bytes(20),
        bytes(70) + b"OggS Speex",  # past the sniffed bytes
    ],
)
def test_more_near_misses_are_not_media(head: bytes) -> None:
    assert detect_format(head) is None


def test_duration_unknown_where_there_is_nothing_to_measure(media_dir: Path) -> None:
    no_rate = struct.pack("<IHHIIHH", 16, 1, 1, 0, 0, 2, 16)  # fmt chunk, 0 samples a second
    silent = io.BytesIO(b"RIFF\x24\x00\x00\x00WAVEfmt " + no_rate + b"data\x00\x00\x00\x00")
    assert voice_duration(silent, MediaFormat.WAV) is None  # a sample rate of 0
    speex = io.BytesIO(b"OggS" + bytes(24) + b"Speex   ")
    assert voice_duration(speex, MediaFormat.SPEEX) is None
    tag_only = io.BytesIO(b"ID3\x04\x00\x00\x00\x00\x00\x00")
    assert voice_duration(tag_only, MediaFormat.MP3) is None
    wma = (media_dir / "voice-2s.wma").read_bytes()
    stream = io.BytesIO(b"xx" + wma)
    stream.seek(2)
    assert voice_duration(stream, MediaFormat.WMA) == pytest.approx(2.0, abs=0.2)
    assert stream.tell() == 2
