"""Small PNG images made in code, and a strict check that bytes are one.

Every image made from a different draw has different pixels, so a harness can
tell apart what it sent and recognise a stored copy by its bytes.
"""

from __future__ import annotations

import random
import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(rng: random.Random, largest: int = 8) -> bytes:
    """An RGB PNG of random pixels, 1 to ``largest`` pixels a side."""
    width, height = rng.randint(1, largest), rng.randint(1, largest)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def is_valid_png(data: bytes) -> bool:
    """Whether ``data`` is a whole PNG as :func:`png_bytes` makes them: every chunk's
    CRC right, the pixels inflate to exactly the size the header says, IEND last."""
    if not data.startswith(SIGNATURE):
        return False
    offset, chunks, idat = len(SIGNATURE), [], b""
    while offset + 12 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        crc_at = offset + 8 + length
        if len(body) != length or crc_at + 4 > len(data):
            return False
        (crc,) = struct.unpack(">I", data[crc_at : crc_at + 4])
        if crc != zlib.crc32(kind + body):
            return False
        chunks.append((kind, body))
        if kind == b"IDAT":
            idat += body
        offset = crc_at + 4
    if offset != len(data) or not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        return False
    width, height = struct.unpack(">II", chunks[0][1][:8])
    try:
        pixels = zlib.decompress(idat)
    except zlib.error:
        return False
    return len(pixels) == height * (1 + width * 3)
