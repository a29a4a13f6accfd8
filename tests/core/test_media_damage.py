"""Telling a whole media file from a truncated or corrupt one, reading little."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from wechat_material.limits import MediaFormat
from wechat_material.mediainfo import (
    JPEG_ZERO_PADDING_MAX,
    SNIFF_BYTES,
    damage,
    detect_format,
    detect_stream_format,
    sniff,
    voice_duration,
)

SAMPLES = [
    "image.jpg",
    "thumb.jpg",
    "image.png",
    "image.gif",
    "image.bmp",
    "video.mp4",
    "voice-2s.mp3",
    "voice-61s.mp3",
    "voice-2s.amr",
    "voice-2s.wav",
    "voice-2s.wma",
]


# voice-2s.amr is 12.2 kbit/s AMR-NB: 32-byte frames after the 6-byte header.
AMR_FRAME_ENDS = range(6 + 32, 3270 + 1, 32)


def damage_of(data: bytes) -> str | None:
    fmt = detect_format(data)
    assert fmt is not None
    return damage(io.BytesIO(data), fmt, len(data))


class CountingReads(io.BytesIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_is_whole(media_dir: Path, name: str) -> None:
    assert damage_of((media_dir / name).read_bytes()) is None


@pytest.mark.parametrize("name", SAMPLES)
def test_broken_variants_are_named_as_such(
    name: str, broken_media: Callable[[str], dict[str, bytes]]
) -> None:
    for what, data in broken_media(name).items():
        assert damage_of(data) is not None, f"{name} {what}"


@pytest.mark.parametrize("name", SAMPLES)
def test_every_cut_is_judged_without_crashing(media_dir: Path, name: str) -> None:
    # Cut at every length of the first 2 KB, then at a stride: no reader may
    # raise, hang or read past what is there, and a voice is still measured.
    data = (media_dir / name).read_bytes()
    fmt = detect_format(data)
    assert fmt is not None
    for cut in [*range(1, min(len(data), 2048)), *range(2048, len(data), 97)]:
        stream = io.BytesIO(data[:cut])
        reason = damage(stream, fmt, cut)
        assert reason is None or reason.startswith(("it ", "its ", "the ", "no ")), reason
        assert stream.tell() == 0
        if fmt in (MediaFormat.MP3, MediaFormat.AMR, MediaFormat.WAV, MediaFormat.WMA):
            duration = voice_duration(stream, fmt)
            assert duration is None or duration >= 0
        # AMR has no length: a cut between frames is a shorter file.
        if fmt is MediaFormat.AMR and cut in AMR_FRAME_ENDS:
            continue
        assert reason is not None, f"{name} cut to {cut} bytes passed"


def test_mp3_cut_short_of_its_info_header_length(media_dir: Path) -> None:
    # The samples carry a LAME Info header giving the stream's length in bytes.
    data = (media_dir / "voice-61s.mp3").read_bytes()
    assert "Xing/Info" in (damage_of(data[: len(data) // 2]) or "")
    assert damage_of(data + b"TAG" + bytes(125)) is None  # an ID3v1 tag after the audio


def test_mp3_without_info_header_cut_between_frames_is_shorter(media_dir: Path) -> None:
    # Without a length anywhere, a cut file plays (and is measured) as a shorter one.
    data = bytearray((media_dir / "voice-61s.mp3").read_bytes())
    info = data.index(b"Info")
    data[info : info + 4] = b"None"
    half = bytes(data[: len(data) // 2])
    assert damage_of(half) is None
    duration = voice_duration(io.BytesIO(half), MediaFormat.MP3)
    assert duration is not None
    assert 0 < duration < 61  # estimated from the size left, never the whole 61 s


def test_mp3_without_any_frame_after_its_tag(media_dir: Path) -> None:
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x10" + bytes(16)
    assert damage_of(tag + bytes(5000)) == "no MPEG audio frame follows its header"


def test_jpeg_may_end_in_a_little_zero_padding(media_dir: Path) -> None:
    jpeg = (media_dir / "image.jpg").read_bytes()
    assert damage_of(jpeg + bytes(JPEG_ZERO_PADDING_MAX)) is None
    assert damage_of(jpeg + bytes(JPEG_ZERO_PADDING_MAX + 1)) is not None
    # Anything else after the end marker, however short, is refused.
    assert damage_of(jpeg + b"\x01") is not None
    # A cut-off JPEG padded with zeros still has no end marker.
    assert damage_of(jpeg[:-100] + bytes(100)) is not None


def test_mp4_box_sizes(media_dir: Path) -> None:
    mp4 = (media_dir / "video.mp4").read_bytes()
    # A last box of size 0 runs to the end of the file.
    assert damage_of(mp4 + struct.pack(">I4s", 0, b"free") + bytes(100)) is None
    # A 64-bit size (size field 1) is read from after the type.
    assert damage_of(mp4 + struct.pack(">I4sQ", 1, b"free", 116) + bytes(100)) is None
    assert damage_of(mp4 + struct.pack(">I4sQ", 1, b"free", 117) + bytes(100)) is not None
    # A box smaller than its own header would never end.
    assert "impossible size" in (damage_of(mp4 + struct.pack(">I4s", 4, b"free")) or "")
    assert damage_of(mp4 + struct.pack(">I4sQ", 1, b"free", 8) + bytes(100)) is not None


def test_wav_needs_its_chunks(media_dir: Path) -> None:
    wav = (media_dir / "voice-2s.wav").read_bytes()
    riff = b"RIFF" + struct.pack("<I", 4 + 8 + 16) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
    assert damage_of(riff + bytes(16)) == "it has no 'fmt ' or 'data' chunk"
    # A chunk claiming more than the RIFF size holds.
    broken = bytearray(wav)
    data_at = wav.index(b"data")
    struct.pack_into("<I", broken, data_at + 4, len(wav))
    assert "'data' chunk runs past its end" in (damage_of(bytes(broken)) or "")


def test_amr_frames(media_dir: Path) -> None:
    amr = (media_dir / "voice-2s.amr").read_bytes()
    assert damage_of(b"#!AMR\n") == "it has no audio frames"
    assert "unknown type" in (damage_of(amr + b"\x48") or "")
    assert voice_duration(io.BytesIO(amr + b"\x48"), MediaFormat.AMR) is None


def test_reads_from_where_the_stream_is(media_dir: Path) -> None:
    # A file object handed over part-way: the file starts at its position.
    png = (media_dir / "image.png").read_bytes()
    stream = io.BytesIO(b"prefix" + png)
    stream.seek(6)
    assert detect_stream_format(stream) is MediaFormat.PNG
    assert damage(stream, MediaFormat.PNG, len(png)) is None
    assert stream.tell() == 6
    assert damage(stream, MediaFormat.PNG, len(png) - 1) is not None
    assert stream.tell() == 6


@pytest.mark.parametrize(
    ("grow", "fmt"), [("image.jpg", MediaFormat.JPG), ("video.mp4", MediaFormat.MP4)]
)
def test_a_large_file_is_checked_from_its_ends(
    grow: str, fmt: MediaFormat, grown_media: Callable[[str, int], bytes]
) -> None:
    data = grown_media(grow, 8 * 1024 * 1024)
    stream = CountingReads(data)
    assert damage(stream, fmt, len(data)) is None
    assert stream.read_bytes < 16 * 1024


@pytest.mark.parametrize(
    "name", ["image.png", "image.gif", "image.bmp", "voice-2s.wma", "voice-2s.wav"]
)
def test_headers_and_ends_are_all_that_is_read(media_dir: Path, name: str) -> None:
    data = (media_dir / name).read_bytes()
    stream = CountingReads(data)
    fmt = detect_format(data)
    assert fmt is not None
    assert damage(stream, fmt, len(data)) is None
    assert stream.read_bytes <= 64


def test_sniff_reads_the_head_and_puts_the_position_back(media_dir: Path) -> None:
    gif = (media_dir / "image.gif").read_bytes()
    stream = io.BytesIO(gif)
    stream.seek(3)
    assert sniff(stream) == gif[3 : 3 + SNIFF_BYTES]
    assert stream.tell() == 3
    # detect_format takes whole bytes too and looks at the head only.
    assert detect_format(gif) is MediaFormat.GIF
