"""Turning a file reply into a :class:`MediaFile`, with a sensible name."""

from __future__ import annotations

import io

from wechat_material._filenames import safe_filename
from wechat_material._reply import FileReply
from wechat_material.limits import MediaFormat
from wechat_material.media_file import MediaFile
from wechat_material.mediainfo import detect_stream_format


def file_format(reply: FileReply) -> MediaFormat | None:
    """The format of a file reply, sniffed from its first bytes (file position kept)."""
    return detect_stream_format(reply.file)


def reply_filename(reply: FileReply, media_id: str) -> str:
    """The server's file name, or ``<media_id>.<ext>`` from the sniffed format."""
    if reply.filename:
        return reply.filename
    fmt = file_format(reply)
    stem = safe_filename(media_id) or "media"
    return f"{stem}.{fmt.value}" if fmt else stem


def media_file(reply: FileReply, media_id: str) -> MediaFile:
    """A file reply read into memory."""
    fmt = file_format(reply)
    content_type = reply.content_type or (fmt.content_type if fmt else "application/octet-stream")
    return MediaFile(
        filename=reply_filename(reply, media_id),
        content_type=content_type,
        content=_whole(reply),
    )


def _whole(reply: FileReply) -> bytes:
    # BytesIO.getvalue() hands over its buffer without copying it (CPython),
    # where read() copies: a 10 MB file would briefly need 20 MB.
    if isinstance(reply.file, io.BytesIO):
        return reply.file.getvalue()
    return reply.file.read()
