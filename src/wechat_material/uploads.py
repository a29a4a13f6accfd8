"""The files you upload: checked before sending, named for what they are, streamed.

Every upload method takes ``file`` as a path (``str`` or ``os.PathLike``), the
file's ``bytes``, or a binary file object, plus an optional ``filename``.
Before anything is sent the content is sniffed (``mediainfo.detect_format``),
its size measured, then (within the size limit) its end checked for
truncation and a voice's length read, all against WeChat's limits for that
kind of upload (``checks.check_media``); a file that would be refused raises
:class:`~wechat_material.errors.MediaValidationError` naming the file and the
limit.

WeChat judges an upload by its filename extension as well as its content, so
the filename sent always ends in the extension of the detected format:
``photo`` or ``upload.tmp`` holding a JPEG go out as ``photo.jpg`` and
``upload.jpg``; bytes and nameless streams as ``media.jpg``. Non-ASCII names
are sent as plain UTF-8 (``filename="封面.jpg"``), the form WeChat reads; the
RFC 2231 ``filename*=`` form makes it answer 41005.

Files are streamed in chunks, never read whole. A file is opened and checked
once per call, and each attempt reads it again from where it started, so a
retried upload sends every byte again. Paths are opened and closed here; file
objects you pass stay open.

>>> from wechat_material.uploads import upload_filename
>>> upload_filename("photo.jpeg.tmp", MediaFormat.JPG)
'photo.jpeg.jpg'
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, TypeAlias

import httpx

from wechat_material._files import safe_filename
from wechat_material.checks import check_media, extension_format
from wechat_material.errors import MediaValidationError
from wechat_material.limits import MB, MaterialType, MediaFormat, MediaLimit, Target, limit_for

FileInput: TypeAlias = str | os.PathLike[str] | bytes | BinaryIO
"""What an upload method accepts as ``file``."""

CHUNK_BYTES = 64 * 1024
_SPOOL_IN_MEMORY = 1 * MB
_EXTENSION_LIKE = re.compile(r"[A-Za-z0-9]{1,5}")
# Quoted-string escapes for multipart parameters, as browsers do (HTML5).
_PARAM_ESCAPES = {ord('"'): "%22", ord("\r"): "%0D", ord("\n"): "%0A"}


def upload_filename(name: str | None, fmt: MediaFormat) -> str:
    """The filename to send for a file of format ``fmt`` that the user called ``name``.

    The stem is kept; the extension becomes the detected format's unless the
    name already has an extension WeChat reads as that format (``.jpeg``).
    """
    base = safe_filename(name) if name else None
    if not base:
        return f"media.{fmt.value}"
    stem, dot, ext = base.rpartition(".")
    if dot and stem:
        if extension_format(base) is fmt:
            return base
        if _EXTENSION_LIKE.fullmatch(ext):
            base = stem
    return f"{base}.{fmt.value}"


class MediaUpload:
    """A checked file ready to send; read from ``start`` for ``size`` bytes on each attempt."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        filename: str,
        format: MediaFormat,
        size: int,
        duration: float | None,
        owned: bool,
    ) -> None:
        self._stream = stream
        self._start = stream.tell()
        self._owned = owned
        self.filename = filename
        self.format = format
        self.size = size
        self.duration = duration

    def __repr__(self) -> str:
        return (
            f"MediaUpload(filename={self.filename!r}, format={self.format.value}, size={self.size})"
        )

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes from its start, in chunks; every call starts over."""
        self._stream.seek(self._start)
        left = self.size
        while left > 0:
            chunk = self._stream.read(min(CHUNK_BYTES, left))
            if not chunk:
                raise OSError(
                    f"{self.filename} became shorter while it was being sent "
                    f"({self.size - left} of {self.size} bytes read)"
                )
            left -= len(chunk)
            yield chunk

    def close(self) -> None:
        if self._owned:
            self._stream.close()


def _names(file: FileInput, filename: str | None) -> tuple[str, str | None]:
    """How to name the file in messages, and the name to build the sent filename from."""
    if isinstance(file, str | os.PathLike):
        path = os.fspath(file)
        return path, filename or os.path.basename(path)
    own_name = getattr(file, "name", None)
    name = filename or (own_name if isinstance(own_name, str) else None)
    if name:
        return name, name
    return ("the given bytes" if isinstance(file, bytes) else "the given file object"), None


def _open(file: FileInput, display: str) -> tuple[BinaryIO, bool]:
    """The stream to read, and whether this module opened it (and must close it)."""
    if isinstance(file, str | os.PathLike):
        try:
            return open(file, "rb"), True  # closed by MediaUpload.close
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise MediaValidationError(f"cannot read {display}: {reason}", file=display) from None
    if isinstance(file, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(file)), True
    if isinstance(file, io.TextIOBase):
        raise TypeError(f"{display} is open in text mode; open it with 'rb'")
    if not hasattr(file, "read"):
        raise TypeError(
            f"file must be a path, bytes or a binary file object, not {type(file).__name__}"
        )
    return file, False


def _seekable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError):
        return False


def _spool(stream: BinaryIO, limit: MediaLimit) -> tuple[BinaryIO, bool]:
    """Copy a pipe-like stream to a temporary file so it can be measured and re-sent.

    Reads at most one byte past the limit: a larger stream is refused without
    reading it to the end. Returns the copy and whether it went past the limit.
    """
    spool: BinaryIO = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # type: ignore[assignment]  # noqa: SIM115
    left = limit.max_bytes + 1
    while left > 0 and (chunk := stream.read(min(CHUNK_BYTES, left))):
        spool.write(chunk)
        left -= len(chunk)
    spool.seek(0)
    return spool, left == 0


def _remaining_size(stream: BinaryIO) -> int:
    start = stream.tell()
    try:
        return os.fstat(stream.fileno()).st_size - start
    except (AttributeError, OSError, ValueError):
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
        return end - start


def prepare_upload(
    file: FileInput,
    *,
    filename: str | None,
    target: Target,
    type: MaterialType,
) -> MediaUpload:
    """Open, measure and check ``file`` for an upload of ``type`` to ``target``.

    Raises :class:`MediaValidationError` (naming the file and the limit) when
    WeChat would refuse it; nothing is sent in that case.
    """
    limit = limit_for(target, type)
    display, name = _names(file, filename)
    stream, owned = _open(file, display)
    try:
        upload, problem = _measure(stream, owned, limit, name)
    except BaseException:
        if owned:
            stream.close()
        raise
    if upload is not None:
        return upload
    raise MediaValidationError(
        f"{display} cannot be uploaded as {type.value} ({target.value}): {problem}",
        file=display,
        limit=limit,
    )


def _measure(
    stream: BinaryIO, owned: bool, limit: MediaLimit, name: str | None
) -> tuple[MediaUpload | None, str]:
    """The checked upload, or None and what is wrong (the stream then closed if owned)."""
    too_big = False
    if not _seekable(stream):
        copy, too_big = _spool(stream, limit)
        if owned:
            stream.close()
        stream, owned = copy, True
    start = stream.tell()
    size = _remaining_size(stream)
    # Duration readers look at the whole file from its first byte, so a stream
    # handed over part-way through is not timed.
    verdict = check_media(limit, stream, None if too_big else size, timed=start == 0)
    problem, fmt = verdict.problem, verdict.format
    if problem is None and not too_big:
        assert fmt is not None
        upload = MediaUpload(
            stream,
            filename=upload_filename(name, fmt),
            format=fmt,
            size=size,
            duration=verdict.duration,
            owned=owned,
        )
        return upload, ""
    if owned:
        stream.close()
    if problem is None:
        return None, f"it is larger than allowed; {limit.describe()}"
    return None, problem.message


def _quoted(value: str) -> bytes:
    return f'"{value.translate(_PARAM_ESCAPES)}"'.encode()


class UploadBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A ``multipart/form-data`` body with the file part ``media`` and text fields.

    Its length is known up front (``Content-Length``), and iterating it again
    starts the file over, which is what a replay needs.
    """

    def __init__(self, media: MediaUpload, fields: Mapping[str, str]) -> None:
        self._media = media
        boundary = secrets.token_hex(16)
        self._boundary = boundary.encode()
        disposition = (
            b'Content-Disposition: form-data; name="media"; filename='
            + _quoted(media.filename)
            + b"\r\nContent-Type: "
            + media.format.content_type.encode()
            + b"\r\n\r\n"
        )
        self._head = b"--" + self._boundary + b"\r\n" + disposition
        tail = b"\r\n"
        for name, value in fields.items():
            tail += b"--" + self._boundary + b"\r\n"
            tail += b"Content-Disposition: form-data; name=" + _quoted(name) + b"\r\n\r\n"
            tail += value.encode("utf-8") + b"\r\n"
        self._tail = tail + b"--" + self._boundary + b"--\r\n"
        self.headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(self._head) + media.size + len(self._tail)),
        }

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        yield from self._media.chunks()
        yield self._tail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Local file reads of at most 10 MB in 64 KB chunks: cheap enough to do
        # inline rather than hop to a worker thread for each chunk.
        for chunk in self:
            yield chunk


@dataclass(frozen=True)
class UploadForm:
    """The multipart form of one upload call, described: where the file comes from and the fields.

    Making one reads nothing. The call's flow runs :meth:`prepare` once, which
    opens (a path) or rewinds (a file object, to where it stood when the call
    was made) the source and checks it; every attempt then sends that checked
    upload, which starts over from its first byte (:meth:`MediaUpload.chunks`).
    """

    file: FileInput = field(repr=False)
    filename: str | None
    target: Target
    type: MaterialType
    fields: Mapping[str, str] = field(default_factory=dict)
    start: int | None = None  # a file object's position when the call was made

    @classmethod
    def of(
        cls,
        file: FileInput,
        *,
        filename: str | None,
        target: Target,
        type: MaterialType,
        fields: Mapping[str, str] | None = None,
    ) -> UploadForm:
        """The form for ``file``; a file object's position is noted, nothing is read."""
        start = None
        if not isinstance(file, str | os.PathLike | bytes | bytearray | memoryview):
            start = file.tell() if _seekable(file) else None
        return cls(file, filename, target, type, dict(fields or {}), start)

    def prepare(self) -> MediaUpload:
        """The source, opened and checked for this call (close it after).

        Raises :class:`MediaValidationError` when WeChat would refuse the file.
        It reads the disk: the async client runs it on a worker thread.
        """
        if self.start is not None:
            assert not isinstance(self.file, str | os.PathLike | bytes | bytearray | memoryview)
            self.file.seek(self.start)
        return prepare_upload(self.file, filename=self.filename, target=self.target, type=self.type)

    def body(self, media: MediaUpload) -> UploadBody:
        """The form's body for one attempt, reading ``media``."""
        return UploadBody(media, self.fields)
