"""What a file really is: its format from the first bytes, whether it is whole, a voice's length.

WeChat judges uploads by extension *and* content, so both the SDK (before it
sends) and the sandbox (when it receives) look at the bytes, never the name.

Every function that takes a stream reads it from its current position and
puts the position back, so the upload that follows starts where it should.

>>> detect_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
<MediaFormat.PNG: 'png'>
"""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Callable
from typing import IO

from wechat_material.limits import MediaFormat

# Enough leading bytes for every signature below.
SNIFF_BYTES = 64

_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")
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
    """The format of a file from its first bytes (:data:`SNIFF_BYTES` are enough), or None."""
    head = head[:SNIFF_BYTES]
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


def sniff(stream: IO[bytes]) -> bytes:
    """The first :data:`SNIFF_BYTES` from the stream's position, which is put back."""
    start = stream.tell()
    try:
        return stream.read(SNIFF_BYTES)
    finally:
        stream.seek(start)


def detect_stream_format(stream: IO[bytes]) -> MediaFormat | None:
    """The format of a seekable stream's content from its position (kept), or None."""
    return detect_format(sniff(stream))


# --- Is the file whole? -------------------------------------------------------
#
# Each reader gets the stream at the file's first byte and the file's length,
# and answers why the file looks cut short or broken, or None when it is whole.
# They read headers and the last bytes, seeking over the rest; only AMR, which
# has no length field anywhere, has its frame headers walked (after the size
# check, so at most 2 MB of them).

# Some encoders pad a JPEG with zero bytes after its end marker (EOI), up to a
# disk or flash block; the spec allows nothing there. A cut-off JPEG that
# happens to end in zeros still lacks its EOI, so this tolerance does not let
# truncated files through; anything else after EOI (an appended video, a
# second image) is refused.
JPEG_ZERO_PADDING_MAX = 4096

_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# The trailer byte, after the zero-length sub-block that ends every image or
# extension before it: a lone 0x3B is too common inside image data.
_GIF_END = b"\x00\x3b"
# Top-level boxes of an MP4 (objects of an ASF) file: a 10 MB upload has a
# handful, a fragmented one a few thousand. More is not a file worth walking.
_TOP_LEVEL_MAX = 65536
# How far past its ID3 tag an MP3's first frame may start.
_MP3_SYNC_WINDOW = 4096


def _tail(data: IO[bytes], size: int, count: int) -> bytes:
    """The last ``count`` bytes of the ``size`` bytes that start here (fewer if it is shorter);
    never what follows them in the stream."""
    data.seek(max(0, size - count), io.SEEK_CUR)
    return data.read(min(count, size))


def _jpeg_damage(data: IO[bytes], size: int) -> str | None:
    tail = _tail(data, size, JPEG_ZERO_PADDING_MAX + 2)
    if not tail.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "it has no JPEG end marker (EOI)"
    return None


def _png_damage(data: IO[bytes], size: int) -> str | None:
    if _tail(data, size, len(_PNG_IEND)) != _PNG_IEND:
        return "it does not end with the PNG IEND chunk"
    return None


def _gif_damage(data: IO[bytes], size: int) -> str | None:
    if _tail(data, size, len(_GIF_END)) != _GIF_END:
        return "it does not end with the GIF trailer (0x3B)"
    return None


def _bmp_damage(data: IO[bytes], size: int) -> str | None:
    header = data.read(min(14, size))
    if len(header) < 14:
        return "it is shorter than the 14-byte BMP file header"
    declared = struct.unpack_from("<I", header, 2)[0]
    if declared != size:
        return f"its header gives a size of {declared} bytes, but it has {size}"
    return None


def _boxes_damage(
    data: IO[bytes],
    size: int,
    header: Callable[[bytes], tuple[bytes, int]],
    header_bytes: int,
    noun: str,
) -> tuple[str | None, set[bytes]]:
    """Walk top-level boxes (MP4) or objects (ASF): they must tile the file exactly."""
    start = data.tell()
    offset = 0
    kinds: set[bytes] = set()
    for _ in range(_TOP_LEVEL_MAX + 1):  # the last turn only finds the end
        if offset == size:
            return None, kinds
        data.seek(start + offset)
        raw = data.read(header_bytes)
        if len(raw) < header_bytes:
            return f"it ends inside a {noun} header at byte {offset}", kinds
        kind, length = header(raw)
        if length == 0:  # MP4: "to the end of the file", only for the last box
            length = size - offset
        if length < header_bytes:
            return f"the {noun} at byte {offset} has an impossible size ({length})", kinds
        if offset + length > size:
            return (
                f"the {noun} at byte {offset} runs {offset + length - size} bytes past its end",
                kinds,
            )
        kinds.add(kind)
        offset += length
    return f"it has more than {_TOP_LEVEL_MAX} top-level parts", kinds


def _mp4_header(data: IO[bytes]) -> Callable[[bytes], tuple[bytes, int]]:
    def header(raw: bytes) -> tuple[bytes, int]:
        length, kind = struct.unpack(">I4s", raw)
        if length == 1:  # a 64-bit size follows the type
            large = data.read(8)
            length = struct.unpack(">Q", large)[0] if len(large) == 8 else 0
            length = length if length >= 16 else 1  # smaller than its own header
        return kind, length

    return header


def _mp4_damage(data: IO[bytes], size: int) -> str | None:
    damage, kinds = _boxes_damage(data, size, _mp4_header(data), 8, "box")
    if damage is None and b"moov" not in kinds:
        return "it has no 'moov' box (the index a player needs)"
    return damage


def _asf_header(raw: bytes) -> tuple[bytes, int]:
    guid, length = struct.unpack("<16sQ", raw)
    return guid, length or 1  # an object is never empty; 0 is a broken size


def _asf_damage(data: IO[bytes], size: int) -> str | None:
    damage, kinds = _boxes_damage(data, size, _asf_header, 24, "ASF object")
    if damage is None and _ASF_DATA not in kinds:
        return "it has no ASF data object (no audio)"
    return damage


def _wav_damage(data: IO[bytes], size: int) -> str | None:
    head = data.read(12)
    declared = struct.unpack_from("<I", head, 4)[0] + 8 if len(head) == 12 else 0
    if declared > size:
        return f"its header gives a size of {declared} bytes, but it has {size}"
    # Chunks follow the 12-byte header, each padded to an even length.
    offset, kinds = 12, set()
    while offset + 8 <= declared:
        raw = data.read(8)
        if len(raw) < 8:
            break
        kind, length = struct.unpack("<4sI", raw)
        kinds.add(kind)
        # Writers that drop the pad byte after an odd last chunk are common.
        if offset + 8 + length > declared:
            return f"its {kind.decode('latin-1')!r} chunk runs past its end"
        offset += 8 + length + (length & 1)
        data.seek(length + (length & 1), io.SEEK_CUR)
    if not {b"fmt ", b"data"} <= kinds:
        return "it has no 'fmt ' or 'data' chunk"
    return None


def _mp3_damage(data: IO[bytes], size: int) -> str | None:
    # MP3 has no trailer: a file cut between frames plays as a shorter one.
    # What must be whole is the ID3 tag in front, the first frame after it
    # and, where an encoder wrote one, the stream length its Xing/Info
    # header gives (without one, a cut file is measured as a shorter one).
    head = data.read(10)
    offset = 0
    if head.startswith(b"ID3") and len(head) == 10:
        tag = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        offset = 10 + tag + (10 if head[5] & 0x10 else 0)
        if offset + 4 > size:
            return "it ends inside its ID3 tag, before any audio"
    data.seek(offset - len(head), io.SEEK_CUR)
    # Some taggers leave padding or junk before the first frame; players skip it.
    window = data.read(_MP3_SYNC_WINDOW)
    first = next((i for i in range(len(window) - 3) if _is_mp3_frame(window[i : i + 4])), None)
    if first is None:
        return "no MPEG audio frame follows its header"
    if first + _mp3_frame_bytes(window[first : first + 4]) > size - offset:
        return "its first audio frame is cut short"
    declared = _xing_bytes(window[first:])
    if declared is not None and declared > size - offset - first:
        return f"its Xing/Info header gives {declared} bytes of audio, but it has fewer"
    return None


_MP3_KBPS_MPEG1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_KBPS_MPEG2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_bytes(header: bytes) -> int:
    """The length of a Layer III frame from its header (4 for other layers: not measured)."""
    version = (header[1] >> 3) & 0x3
    if (header[1] >> 1) & 0x3 != 1:
        return 4
    kbps = (_MP3_KBPS_MPEG1 if version == 3 else _MP3_KBPS_MPEG2)[header[2] >> 4]
    rate = _MP3_RATES[version][(header[2] >> 2) & 0x3]
    padding = (header[2] >> 1) & 0x1
    return (144 if version == 3 else 72) * kbps * 1000 // rate + padding


def _xing_bytes(frame: bytes) -> int | None:
    """The stream length a first frame's Xing/Info header (LAME, VBR) gives, if any."""
    mpeg1 = (frame[1] >> 3) & 0x3 == 3
    mono = frame[3] >> 6 == 3
    # The header sits after the frame header and the side information.
    at = 4 + (17 if mono else 32) if mpeg1 else 4 + (9 if mono else 17)
    if frame[at : at + 4] not in (b"Xing", b"Info") or len(frame) < at + 16:
        return None
    flags = struct.unpack_from(">I", frame, at + 4)[0]
    if not flags & 0x2:
        return None
    field = at + 8 + (4 if flags & 0x1 else 0)
    return int(struct.unpack_from(">I", frame, field)[0]) if len(frame) >= field + 4 else None


# AMR-NB frame sizes in bytes (with the 1-byte header), by frame type; 20 ms each.
_AMR_FRAME_BYTES = {0: 13, 1: 14, 2: 16, 3: 18, 4: 20, 5: 21, 6: 27, 7: 32, 8: 6, 15: 1}
_AMR_FRAME_SECONDS = 0.02
_AMR_MAGIC = b"#!AMR\n"
_CHUNK = 64 * 1024


def _amr_frames(data: IO[bytes]) -> tuple[int, int, int | None]:
    """Walk AMR frames: (frames, bytes walked, offset of a bad frame header or None).

    Reads in chunks rather than a byte per frame: a 2 MB file has 100,000 frames.
    """
    frames = 0
    offset = 0  # of the next frame header, from the end of the magic
    buffered = b""
    base = 0  # offset of buffered[0]
    while True:
        if offset - base >= len(buffered):
            data.seek(offset - base - len(buffered), io.SEEK_CUR)
            base = offset
            buffered = data.read(_CHUNK)
            if not buffered:
                return frames, offset, None
        size = _AMR_FRAME_BYTES.get((buffered[offset - base] >> 3) & 0x0F)
        if size is None:
            return frames, offset, offset
        frames += 1
        offset += size


def _amr_damage(data: IO[bytes], size: int) -> str | None:
    if data.read(len(_AMR_MAGIC)) != _AMR_MAGIC:
        return "it has no AMR header"
    frames, walked, bad = _amr_frames(data)
    end = len(_AMR_MAGIC) + walked
    if bad is not None:
        return f"its frame at byte {len(_AMR_MAGIC) + bad} has an unknown type"
    if frames == 0:
        return "it has no audio frames"
    if end > size:
        return f"its last frame is cut short by {end - size} bytes"
    return None


_DAMAGE_READERS: dict[MediaFormat, Callable[[IO[bytes], int], str | None]] = {
    MediaFormat.JPG: _jpeg_damage,
    MediaFormat.PNG: _png_damage,
    MediaFormat.GIF: _gif_damage,
    MediaFormat.BMP: _bmp_damage,
    MediaFormat.MP4: _mp4_damage,
    MediaFormat.WMA: _asf_damage,
    MediaFormat.WAV: _wav_damage,
    MediaFormat.MP3: _mp3_damage,
    MediaFormat.AMR: _amr_damage,
}


def damage(data: IO[bytes], fmt: MediaFormat, size: int) -> str | None:
    """Why a file of ``fmt`` looks truncated or corrupt, or None when it looks whole.

    ``data`` is seekable and at the file's first byte; ``size`` is the file's
    length from there. The position is restored afterwards. Formats without a
    reader here (Speex) are taken as whole.
    """
    reader = _DAMAGE_READERS.get(fmt)
    if reader is None:
        return None
    start = data.tell()
    try:
        return reader(data, size)
    except (OSError, struct.error, ValueError) as exc:
        return f"it cannot be read ({type(exc).__name__})"
    finally:
        data.seek(start)


def _amr_duration(data: IO[bytes]) -> float | None:
    if data.read(len(_AMR_MAGIC)) != _AMR_MAGIC:
        return None
    frames, _, bad = _amr_frames(data)
    return None if bad is not None else frames * _AMR_FRAME_SECONDS


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
