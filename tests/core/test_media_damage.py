"""Telling a whole media file from a truncated or corrupt one, reading little."""

from __future__ import annotations

import io
import struct
import tempfile
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

MEDIA = Path(__file__).resolve().parent.parent / "media"
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


def _sample(name: str) -> bytes:
    return (MEDIA / name).read_bytes()


def _riff(*chunks: bytes, declared: int | None = None) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) if declared is None else declared) + body


def _chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


FMT = _chunk(b"fmt ", bytes(16))


@pytest.mark.parametrize(
    ("name", "cut", "reason"),
    [
        ("image.jpg", -2, "it has no JPEG end marker (EOI)"),
        ("image.png", -1, "it does not end with the PNG IEND chunk"),
        ("image.gif", -1, "it does not end with the GIF trailer (0x3B)"),
        ("image.bmp", -1, "its header gives a size of 9270 bytes, but it has 9269"),
        ("video.mp4", -10, "the box at byte 671 runs 10 bytes past its end"),
        ("video.mp4", 30, "it ends inside a box header at byte 28"),
        ("voice-2s.wma", -10, "the ASF object at byte 494 runs 10 bytes past its end"),
        ("voice-2s.wma", 500, "it ends inside a ASF object header at byte 494"),
        ("voice-2s.wav", -1, "its header gives a size of 32334 bytes, but it has 32333"),
        ("voice-2s.mp3", 20, "it ends inside its ID3 tag, before any audio"),
        ("voice-2s.amr", -1, "its last frame is cut short by 1 bytes"),
    ],
)
def test_each_reader_says_what_is_wrong(name: str, cut: int, reason: str) -> None:
    assert damage_of(_sample(name)[:cut]) == reason


def test_what_is_missing_from_a_file_is_named() -> None:
    mp4 = _sample("video.mp4")
    assert damage_of(mp4[:671]) == "it has no 'moov' box (the index a player needs)"
    wma = _sample("voice-2s.wma")
    assert damage_of(wma[:494]) == "it has no ASF data object (no audio)"
    assert damage_of(_riff(FMT)) == "it has no 'fmt ' or 'data' chunk"
    assert damage_of(_riff(_chunk(b"data", bytes(8)))) == "it has no 'fmt ' or 'data' chunk"
    assert damage_of(_riff(FMT, _chunk(b"data", bytes(8)))) is None
    amr = b"#!AMR\n"
    assert damage(io.BytesIO(b"#!AMX\n" + bytes(64)), MediaFormat.AMR, 70) == (
        "it has no AMR header"
    )
    assert damage_of(amr + _sample("voice-2s.amr")[6:38] + b"\x48") == (
        "its frame at byte 38 has an unknown type"
    )


# MP3: the ID3 tag, the first frame and the Xing/Info length ------------------------

MPEG1 = b"\xff\xfb\x90\x00"  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo: 417 bytes


def _id3(size: int, *, footer: bool = False) -> bytes:
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    tag = b"ID3\x04\x00" + (b"\x10" if footer else b"\x00") + syncsafe + bytes(size)
    return tag + (b"3DI\x04\x00\x10" + syncsafe if footer else b"")


@pytest.mark.parametrize(
    ("header", "length"),
    [
        (MPEG1, 417),
        (b"\xff\xfb\x92\x00", 418),  # the same with its padding byte
        (b"\xff\xf3\x80\x00", 208),  # MPEG-2, 64 kbit/s, 22.05 kHz
        (b"\xff\xe3\x88\x00", 576),  # MPEG-2.5, 64 kbit/s, 8 kHz
        (b"\xff\xfd\x90\x00", 4),  # Layer II: its frames are not measured
    ],
)
def test_the_first_frame_must_be_whole(header: bytes, length: int) -> None:
    assert damage_of(header + bytes(length - 4)) is None
    if length > 4:
        assert damage_of(header + bytes(length - 5)) == "its first audio frame is cut short"
        tagged = _id3(100) + header + bytes(length - 5)
        assert damage_of(tagged) == "its first audio frame is cut short"


def test_an_id3_tag_is_skipped_by_its_syncsafe_size() -> None:
    frame = MPEG1 + bytes(413)
    big = _id3(1 << 21 | 2 << 14 | 3 << 7 | 4)  # every byte of the size counts
    assert damage_of(big + frame) is None
    assert damage_of(big + frame[:-1]) == "its first audio frame is cut short"
    assert damage_of(big + frame[:4]) == "its first audio frame is cut short"
    assert damage_of(big + frame[:3]) == "it ends inside its ID3 tag, before any audio"


def test_an_id3_footer_is_part_of_the_tag() -> None:
    frame = MPEG1 + bytes(413)
    with_footer = _id3(100, footer=True)
    assert damage_of(with_footer + frame) is None
    assert damage_of(with_footer + frame[:3]) == "it ends inside its ID3 tag, before any audio"
    # The same bytes without the footer flag: the footer is not skipped.
    flagless = bytearray(with_footer)
    flagless[5] = 0
    assert damage_of(bytes(flagless) + frame[:3]) == "no MPEG audio frame follows its header"


def _xing(header: bytes, at: int, length: int, *, flags: int, stream: int, tag: bytes) -> bytes:
    fields = struct.pack(">I", flags)
    if flags & 0x1:
        fields += struct.pack(">I", 999)  # a frame count, before the byte count
    if flags & 0x2:
        fields += struct.pack(">I", stream)
    frame = header + bytes(at - 4) + tag + fields
    return frame + bytes(length - len(frame))


@pytest.mark.parametrize(
    ("header", "at", "length"),
    [
        (MPEG1, 36, 417),  # MPEG-1 stereo: 32 bytes of side information
        (MPEG1[:3] + b"\xc0", 21, 417),  # MPEG-1 mono: 17
        (b"\xff\xf3\x80\x00", 21, 208),  # MPEG-2 stereo: 17
        (b"\xff\xf3\x80\xc0", 13, 208),  # MPEG-2 mono: 9
    ],
)
@pytest.mark.parametrize("flags", [0x2, 0x3])
@pytest.mark.parametrize("tag", [b"Xing", b"Info"])
def test_the_xing_length_is_read_where_the_frame_puts_it(
    header: bytes, at: int, length: int, flags: int, tag: bytes
) -> None:
    assert damage_of(_xing(header, at, length, flags=flags, stream=length, tag=tag)) is None
    longer = _xing(header, at, length, flags=flags, stream=length + 1, tag=tag)
    assert damage_of(longer) == (
        f"its Xing/Info header gives {length + 1} bytes of audio, but it has fewer"
    )
    # Only a frame count: no length to hold the file to.
    assert damage_of(_xing(header, at, length, flags=0x1, stream=0, tag=tag)) is None


# AMR: frames walked in chunks ----------------------------------------------------------


def test_amr_frames_are_walked_across_read_chunks() -> None:
    frame = b"\x04" + bytes(12)  # type 0 (4.75 kbit/s): 13 bytes, so frames straddle 64 KB
    amr = b"#!AMR\n" + frame * 16000  # read in four chunks
    assert damage_of(amr) is None
    assert voice_duration(io.BytesIO(amr), MediaFormat.AMR) == pytest.approx(320.0)
    assert damage_of(amr[:-1]) == "its last frame is cut short by 1 bytes"
    at = 13 * 15000  # in the third chunk
    bad = amr[: 6 + at] + b"\x48" + amr[6 + at + 1 :]
    assert damage_of(bad) == f"its frame at byte {6 + at} has an unknown type"
    assert voice_duration(io.BytesIO(bad), MediaFormat.AMR) is None


# what cannot be read ----------------------------------------------------------------------


def test_a_stream_that_fails_is_named_unreadable_and_put_back() -> None:
    png = _sample("image.png")

    class Failing(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("the device went away")

    stream = Failing(png)
    assert damage(stream, MediaFormat.PNG, len(png)) == "it cannot be read (OSError)"
    assert stream.tell() == 0


# MP4 and ASF sizes ---------------------------------------------------------------------


def test_box_and_object_sizes_too_large_for_a_signed_field() -> None:
    mp4 = _sample("video.mp4")
    huge = mp4 + struct.pack(">I4s", 0x8000_0000, b"free")
    assert damage_of(huge) == f"the box at byte 1580 runs {0x8000_0000 - 8} bytes past its end"
    huger = mp4 + struct.pack(">I4sQ", 1, b"free", 2**63)
    assert damage_of(huger) == f"the box at byte 1580 runs {2**63 - 16} bytes past its end"
    # A 64-bit size may be as small as its own header.
    assert damage_of(mp4 + struct.pack(">I4sQ", 1, b"free", 16)) is None
    wma = _sample("voice-2s.wma")
    guid = bytes(16)
    past = wma + guid + struct.pack("<Q", 2**63)
    assert damage_of(past) == f"the ASF object at byte 10144 runs {2**63 - 24} bytes past its end"
    assert damage_of(wma + guid + struct.pack("<Q", 0)) == (
        "the ASF object at byte 10144 has an impossible size (1)"
    )


def test_an_mp4_of_too_many_boxes_is_not_walked() -> None:
    box = struct.pack(">I4s", 8, b"free")
    ftyp = struct.pack(">I4s", 8, b"ftyp")
    moov = struct.pack(">I4s", 8, b"moov")
    many = ftyp + box * 65533 + moov  # 65,535 boxes
    assert damage_of(many) is None
    assert damage_of(many + box) is None  # 65,536: as many as allowed
    assert damage_of(many + box * 2) == "it has more than 65536 top-level parts"


# WAV chunks ---------------------------------------------------------------------------------


def test_wav_chunks_are_walked_with_their_pad_bytes() -> None:
    data = _chunk(b"data", bytes(8))
    assert damage_of(_riff(FMT, _chunk(b"LIST", b"abc"), data)) is None  # padded to 4
    # A last odd chunk whose pad byte the writer dropped.
    unpadded = _riff(FMT, b"data" + struct.pack("<I", 3) + b"abc")
    assert damage_of(unpadded) is None
    # An empty data chunk, last, still counts.
    assert damage_of(_riff(FMT, _chunk(b"data", b""))) is None
    # A RIFF size past the end of the file.
    whole = _riff(FMT, data)
    assert damage_of(_riff(FMT, data, declared=len(whole))) == (
        f"its header gives a size of {len(whole) + 8} bytes, but it has {len(whole)}"
    )


def test_more_sizes_read_unsigned_and_headers_cut_short() -> None:
    bmp = bytearray(_sample("image.bmp"))
    struct.pack_into("<I", bmp, 2, 0x8000_0000)
    assert damage_of(bytes(bmp)) == (
        f"its header gives a size of {0x8000_0000} bytes, but it has {len(bmp)}"
    )
    # Shorter than its own 14-byte header: no size at all, not an unreadable file.
    assert damage(io.BytesIO(b"BM" + bytes(8)), MediaFormat.BMP, 10) == (
        "it is shorter than the 14-byte BMP file header"
    )
    # What follows the file in the stream is not read as its header.
    assert damage(io.BytesIO(b"BM" + bytes(8) + bytes(20)), MediaFormat.BMP, 10) == (
        "it is shorter than the 14-byte BMP file header"
    )
    mp4 = _sample("video.mp4")
    cut_size = mp4 + struct.pack(">I4s", 1, b"free") + b"\x00\x00"
    assert damage_of(cut_size) == "the box at byte 1580 has an impossible size (1)"
    small = mp4 + struct.pack(">I4sQ", 1, b"free", 15) + bytes(100)
    assert damage_of(small) == "the box at byte 1580 has an impossible size (1)"
    riff = _riff(FMT, _chunk(b"data", bytes(8)), declared=0x8000_0000)
    assert damage_of(riff) == (
        f"its header gives a size of {0x8000_0000 + 8} bytes, but it has {len(riff)}"
    )
    assert damage(io.BytesIO(b"RIFF\x00\x00"), MediaFormat.WAV, 6) == (
        "it has no 'fmt ' or 'data' chunk"
    )


def test_a_wav_chunk_past_the_riff_end_is_named() -> None:
    over = _riff(FMT, b"data" + struct.pack("<I", 12) + bytes(8))
    assert damage_of(over) == "its 'data' chunk runs past its end"
    after_odd = _riff(FMT, _chunk(b"LIST", b"abc"), b"data" + struct.pack("<I", 9) + bytes(8))
    assert damage_of(after_odd) == "its 'data' chunk runs past its end"
    huge = _riff(FMT, b"data" + struct.pack("<I", 0x8000_0000) + bytes(8))
    assert damage_of(huge) == "its 'data' chunk runs past its end"
    # What follows the RIFF chunk (a tag some tools append) is not read as chunks.
    tagged = _riff(FMT, _chunk(b"data", bytes(8))) + b"TAG" + bytes(125)
    assert damage_of(tagged) is None


def test_junk_before_the_first_frame_counts_against_the_xing_length() -> None:
    frame = _xing(MPEG1, 36, 417, flags=0x2, stream=417, tag=b"Xing")
    junk = _id3(0) + bytes(10)  # padding after the tag, before the first frame
    assert damage_of(junk + frame) is None
    longer = _xing(MPEG1, 36, 417, flags=0x2, stream=418, tag=b"Xing")
    assert damage_of(junk + longer) == (
        "its Xing/Info header gives 418 bytes of audio, but it has fewer"
    )
    beyond = _xing(MPEG1, 36, 417, flags=0x2, stream=0x8000_0000, tag=b"Xing")
    assert damage_of(beyond) == (
        f"its Xing/Info header gives {0x8000_0000} bytes of audio, but it has fewer"
    )


def test_a_xing_header_without_a_length_is_not_read_for_one() -> None:
    # Frames and a table of contents (flags 0x1 | 0x4), no byte count.
    frame = bytearray(_xing(MPEG1, 36, 417, flags=0x5, stream=0, tag=b"Xing"))
    frame[48:148] = b"\xff" * 100  # the table of contents, after the frame count
    assert damage_of(bytes(frame)) is None


def test_an_mp3_is_judged_from_its_head() -> None:
    data = _sample("voice-61s.mp3")
    stream = CountingReads(data)
    assert damage(stream, MediaFormat.MP3, len(data)) is None
    assert stream.read_bytes <= 10 + 4096


def test_an_amr_is_read_once_in_chunks() -> None:
    amr = b"#!AMR\n" + (b"\x04" + bytes(12)) * 6000
    stream = CountingReads(amr)
    assert damage(stream, MediaFormat.AMR, len(amr)) is None
    assert stream.read_bytes < 2 * len(amr)


def test_a_jpeg_end_marker_followed_by_a_letter_is_refused() -> None:
    assert damage_of(_sample("image.jpg") + b"X") == "it has no JPEG end marker (EOI)"


def test_a_wma_whose_header_gives_no_length_has_no_duration() -> None:
    wma = bytearray(_sample("voice-2s.wma"))
    properties = wma.index(bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365"))
    struct.pack_into("<Q", wma, properties + 64, 0)  # play duration
    struct.pack_into("<Q", wma, properties + 80, 0)  # preroll
    assert voice_duration(io.BytesIO(bytes(wma)), MediaFormat.WMA) is None


def test_what_follows_the_file_in_the_stream_is_not_its_end() -> None:
    png = _sample("image.png")
    stream = io.BytesIO(png + b"the next part of a larger stream")
    assert damage(stream, MediaFormat.PNG, len(png)) is None
    assert stream.tell() == 0


def test_a_first_frame_at_the_end_of_the_sync_window() -> None:
    # The window is 4096 bytes from the end of the tag; the frame starts near its end.
    frame = _xing(MPEG1, 36, 417, flags=0x3, stream=418, tag=b"Xing")
    fields_fit = _id3(0) + bytes(4096 - 52) + frame  # the window holds all 16 Xing bytes
    assert damage_of(fields_fit) == (
        "its Xing/Info header gives 418 bytes of audio, but it has fewer"
    )
    tag_only = _id3(0) + bytes(4096 - 42) + frame  # the window ends inside the flags
    assert damage_of(tag_only) is None


def test_a_wav_in_a_read_write_file_is_measured(media_dir: Path) -> None:
    with tempfile.TemporaryFile() as spooled:  # opened "rb+", as uploads are spooled
        spooled.write((media_dir / "voice-2s.wav").read_bytes())
        spooled.seek(0)
        assert voice_duration(spooled, MediaFormat.WAV) == pytest.approx(2.0, abs=0.2)
        assert spooled.tell() == 0


def test_a_small_file_is_judged_on_its_own_bytes_not_on_what_follows_it() -> None:
    # A tiny cut-off JPEG in a stream that goes on: the end marker after it is not its own.
    cut = b"\xff\xd8\xff\xe0" + bytes(60)
    assert damage(io.BytesIO(cut + b"\xff\xd9"), MediaFormat.JPG, len(cut)) == (
        "it has no JPEG end marker (EOI)"
    )
    assert damage(io.BytesIO(cut + b"\xff\xd9" + b"more"), MediaFormat.JPG, len(cut) + 2) is None
