"""What a file really is: its format from the first bytes, and a voice's duration.

WeChat judges uploads by extension *and* content, so both the SDK (before it
sends) and the sandbox (when it receives) look at the bytes, never the name.

>>> detect_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
<MediaFormat.PNG: 'png'>
"""

from __future__ import annotations

import io
import struct
import wave
from typing import IO

from wechat_material.limits import MediaFormat

# Enough leading bytes for every signature below.
SNIFF_BYTES = 64

_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}


def _is_mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a real layer and bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0x3
    layer = (head[1] >> 1) & 0x3
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and sample_rate != 3


def detect_format(head: bytes) -> MediaFormat | None:
    """The format of a file from its first bytes (at least :data:`SNIFF_BYTES`), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaFormat.JPG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaFormat.PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return MediaFormat.GIF
    if (
        head.startswith(b"BM")
        and len(head) >= 18
        and struct.unpack_from("<I", head, 14)[0] in _BMP_DIB_SIZES
    ):
        return MediaFormat.BMP
    if head.startswith(b"#!AMR\n"):
        return MediaFormat.AMR
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return MediaFormat.WAV
    if head.startswith(_ASF_HEADER):
        return MediaFormat.WMA
    if head.startswith(b"ID3") or _is_mp3_frame(head):
        return MediaFormat.MP3
    if head[4:8] == b"ftyp":
        return MediaFormat.MP4
    if head.startswith(b"OggS") and b"Speex" in head:
        return MediaFormat.SPEEX
    return None


# AMR-NB frame sizes in bytes (with the 1-byte header), by frame type; 20 ms each.
_AMR_FRAME_BYTES = {0: 13, 1: 14, 2: 16, 3: 18, 4: 20, 5: 21, 6: 27, 7: 32, 8: 6, 15: 1}
_AMR_FRAME_SECONDS = 0.02


def _amr_duration(data: IO[bytes]) -> float | None:
    if data.read(6) != b"#!AMR\n":
        return None
    frames = 0
    while header := data.read(1):
        size = _AMR_FRAME_BYTES.get((header[0] >> 3) & 0x0F)
        if size is None:
            return None
        data.seek(size - 1, io.SEEK_CUR)
        frames += 1
    return frames * _AMR_FRAME_SECONDS


def _wav_duration(data: IO[bytes]) -> float | None:
    with wave.open(data, "rb") as wav:
        rate = wav.getframerate()
        return wav.getnframes() / rate if rate else None


def _mutagen_duration(data: IO[bytes], fmt: MediaFormat) -> float | None:
    # mutagen reads MP3 (CBR and VBR, with or without Xing headers) and ASF/WMA
    # headers without decoding audio; it needs a seekable file.
    from mutagen.asf import ASF
    from mutagen.mp3 import MP3

    info = MP3(data).info if fmt is MediaFormat.MP3 else ASF(data).info  # type: ignore[no-untyped-call]
    length = info.length if info is not None else 0
    return float(length) if length else None


def voice_duration(data: IO[bytes], fmt: MediaFormat) -> float | None:
    """Seconds of audio in a seekable voice file, or None where it cannot be read.

    The file position is restored afterwards.
    """
    if not data.seekable():
        return None
    start = data.tell()
    try:
        if fmt is MediaFormat.AMR:
            return _amr_duration(data)
        if fmt is MediaFormat.WAV:
            return _wav_duration(data)
        if fmt in (MediaFormat.MP3, MediaFormat.WMA):
            return _mutagen_duration(data, fmt)
        return None
    except Exception:  # a damaged header: the duration is unknown, not an error here
        return None
    finally:
        data.seek(start)
