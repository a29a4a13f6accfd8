"""Reading a reply: JSON or a file, sorted from its body as it streams in.

The types a completed exchange turns into (:class:`JsonReply`, :class:`FileReply`),
the body collector the drivers write each chunk into (:class:`ReplyBody`) and
:func:`read_reply`, which decides what arrived. They sit below the call flow
(:mod:`._flow`) and the calls (:mod:`._calls`), which both read replies, so
that neither imports the other for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, BinaryIO

from wechat_material._endpoints import Endpoint, ReplyKind
from wechat_material._files import attachment_filename
from wechat_material.errors import UnexpectedReplyError

# Reading a reply: JSON or a file, decided from the body, never from Content-Type
# alone. WeChat labels JSON ``text/plain`` at times, answers an error JSON where
# a file was expected, and a proxy in between may answer an HTML page. So the
# body is sorted by its first meaningful byte while it streams in: ``{`` starts
# JSON (kept in memory, it is small), ``<`` starts markup (an error page; only
# its start is kept for the message), anything else is a file and goes straight
# to the file the caller provided, so a large download never sits in memory.

# Kept of a reply that is neither JSON nor a file, for the error message.
_EXCERPT_BYTES = 200
_BLANK = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


class BodyKind(Enum):
    JSON = "json"
    MARKUP = "markup"
    FILE = "file"
    OTHER = "other"  # bytes on an endpoint that never answers a file


@dataclass(frozen=True)
class JsonReply:
    """A JSON object reply (its errcode, if any, not yet checked)."""

    data: dict[str, Any]

    @property
    def errcode(self) -> int:
        code = self.data.get("errcode", 0)
        try:
            return int(code)
        except (TypeError, ValueError):
            raise UnexpectedReplyError(f"the reply has a non-numeric errcode {code!r}") from None

    @property
    def errmsg(self) -> str:
        return str(self.data.get("errmsg", ""))


@dataclass(frozen=True)
class FileReply:
    """A file reply: the body sits in ``file`` (positioned at its start)."""

    file: BinaryIO
    size: int
    content_type: str | None
    filename: str | None


Reply = JsonReply | FileReply


class ReplyBody:
    """Collects one reply body as its chunks arrive; reusable across attempts.

    ``open_file`` makes the file a file reply is written to; without it the
    endpoint only answers JSON and anything else is kept (briefly) in memory.
    """

    def __init__(self, open_file: Callable[[], BinaryIO] | None = None) -> None:
        self._open_file = open_file
        self._file: BinaryIO | None = None
        self._buffer = bytearray()
        self.kind: BodyKind | None = None
        self.size = 0

    def reset(self) -> None:
        """Forget what an earlier attempt received."""
        self._buffer.clear()
        self.kind = None
        self.size = 0
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.kind is None:
            self._buffer += chunk
            self._decide()
            return
        if self.kind is BodyKind.FILE:
            assert self._file is not None
            self._file.write(chunk)
        elif self.kind is BodyKind.JSON:
            self._buffer += chunk
        elif len(self._buffer) < _EXCERPT_BYTES:
            self._buffer += chunk[: _EXCERPT_BYTES - len(self._buffer)]

    def _decide(self) -> None:
        meaningful = self._buffer.lstrip(_BLANK)
        if meaningful.startswith(_BOM):
            meaningful = meaningful[len(_BOM) :].lstrip(_BLANK)
        if not meaningful or _BOM.startswith(meaningful):
            return  # only blanks so far
        first = bytes(meaningful[:1])
        if first in (b"{", b"["):
            self.kind = BodyKind.JSON
        elif first == b"<":
            self.kind = BodyKind.MARKUP
        elif self._open_file is not None:
            self.kind = BodyKind.FILE
            if self._file is None:
                self._file = self._open_file()
            self._file.write(bytes(self._buffer))
            self._buffer.clear()
        else:
            self.kind = BodyKind.OTHER
        if self.kind in (BodyKind.MARKUP, BodyKind.OTHER):
            del self._buffer[_EXCERPT_BYTES:]  # only kept for the error message

    def excerpt(self) -> str:
        text = bytes(self._buffer[:_EXCERPT_BYTES]).decode("utf-8", "replace")
        return " ".join(text.split())

    def json(self) -> Any:
        try:
            # strict=False: WeChat leaves raw control characters in article HTML.
            # The same start as _decide found: blanks, then a byte-order mark, then JSON.
            text = bytes(self._buffer).lstrip(_BLANK).removeprefix(_BOM)
            return json.loads(text.decode("utf-8"), strict=False)
        except (UnicodeDecodeError, ValueError):
            return _NOT_JSON

    def file(self) -> BinaryIO:
        assert self._file is not None
        self._file.flush()
        self._file.seek(0)
        return self._file


_NOT_JSON = object()


def read_reply(
    endpoint: Endpoint, status_code: int, headers: dict[str, str], body: ReplyBody
) -> Reply:
    """The reply of a completed exchange, or :class:`UnexpectedReplyError`.

    ``headers`` have lower-case names. The HTTP status is only used for the
    message: a WeChat error comes back with status 200 and an errcode.
    """
    where = f"{endpoint.method} {endpoint.path or 'video file'} (HTTP {status_code})"
    if body.kind is None:
        raise UnexpectedReplyError(f"{where}: the reply is empty")
    if body.kind is BodyKind.JSON:
        data = body.json()
        if data is _NOT_JSON:
            raise UnexpectedReplyError(
                f"{where}: the reply is cut off or not valid JSON: {body.excerpt()!r}"
            )
        if not isinstance(data, dict):
            raise UnexpectedReplyError(f"{where}: the reply is JSON but not an object")
        reply = JsonReply(data)
        if endpoint.reply is ReplyKind.FILE and reply.errcode == 0:
            raise UnexpectedReplyError(f"{where}: JSON arrived where a file was expected")
        return reply
    if body.kind is BodyKind.MARKUP:
        raise UnexpectedReplyError(
            f"{where}: an HTML or XML page arrived, not WeChat's reply "
            f"(a proxy or captive portal in between?): {body.excerpt()!r}"
        )
    if body.kind is BodyKind.OTHER:
        raise UnexpectedReplyError(
            f"{where}: a file arrived where JSON was expected "
            f"({headers.get('content-type', 'no content type')}, {body.size} bytes)"
        )
    if status_code != 200:
        raise UnexpectedReplyError(f"{where}: the server answered with an error status")
    return FileReply(
        file=body.file(),
        size=body.size,
        content_type=headers.get("content-type"),
        filename=attachment_filename(headers.get("content-disposition")),
    )
