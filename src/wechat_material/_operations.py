"""Operations of several calls: reading a list page by page, downloading, waiting for a publish.

Each is a generator that yields :class:`~._steps.Perform` for each call it
needs, :class:`~._steps.Sleep` and :class:`~._steps.Emit`;
:func:`._flow.operation_flow` makes the calls in place, and the drivers run
the whole the same way on both sides.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from wechat_material import _endpoints as ep
from wechat_material._calls import Call, fetch_file, page, publish_get, reply_filename, video_file
from wechat_material._files import AtomicFile, prepare_target
from wechat_material._flow import FileReply, JsonReply, Reply
from wechat_material._steps import Blocking, Emit, Perform, Sleep, Step
from wechat_material.errors import (
    NotAFileError,
    PublishTimeoutError,
    TransportError,
    UnexpectedReplyError,
    ValidationError,
)
from wechat_material.limits import PAGE_MAX
from wechat_material.models import NewsMaterial, Page, PublishResult

T = TypeVar("T")
Operation = Generator[Step, Any, T]


# Paging: one flow for every ``stream`` method.
#
# WeChat serves lists (material, drafts, published posts) 1 to 20 items a call.
# The flow asks for pages from ``offset`` on and hands out the items one by one
# until it has passed ``total_count`` or gets an empty page (the list shrank
# while it was being read).
#
# Unlike the Elixir library this API follows, which ends its stream quietly on
# an error, these streams *raise* it: a backup or sync that stopped half-way
# must not look like one that read everything.
def pages(
    page_call: Callable[[int, int], Call[Page[Any]]],
    *,
    offset: int = 0,
    page_size: int = PAGE_MAX,
) -> Operation[None]:
    """Emit every item from ``offset`` to the end of the list (arguments checked now)."""
    page(offset, page_size)
    return _pages(page_call, offset, page_size)


def _pages(
    page_call: Callable[[int, int], Call[Page[Any]]], offset: int, page_size: int
) -> Operation[None]:
    while True:
        listed: Page[Any] = yield Perform(page_call(offset, page_size))
        for item in listed.items:
            yield Emit(item)
        offset += len(listed.items)
        if not listed.items or offset >= listed.total_count:
            return


# Downloads: streamed, atomic, following video links.
#
# The reply streams into a hidden temporary file next to the target, which is
# moved into place only when every byte has arrived; on any error (or an
# interrupt) it is deleted. Peak memory stays a few chunks, whatever the file's
# size. A video answers a link (``down_url`` for material, ``video_url`` for
# media) rather than the file; the link is followed without a token.
#
# Where the file goes (see :func:`._files.prepare_target`): a path the caller
# named is replaced (keeping its permissions) unless ``overwrite`` is False; a
# name the server chose, in a directory, never replaces anything.

# The field that holds a video's link in each endpoint's JSON reply.
_VIDEO_LINK = {ep.MATERIAL_GET: "down_url", ep.MEDIA_GET: "video_url"}


def download(
    endpoint: ep.Endpoint,
    media_id: str,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = True,
) -> Operation[Path]:
    """Save the file behind ``media_id`` to ``path`` (a directory: under WeChat's name)."""
    target = prepare_target(path, overwrite=overwrite)
    with AtomicFile(target.directory) as part:
        reply = yield from _fetch(endpoint, media_id, lambda: part.file)
        # The commit flushes the file to disk (fsync): off the event loop.
        name = target.name
        if name is not None:
            saved: Path = yield Blocking(
                lambda: part.commit(target.directory / name, replace=overwrite)
            )
        else:
            saved = yield Blocking(
                lambda: part.commit_new(target.directory, reply_filename(reply, media_id))
            )
        return saved


def download_to_stream(endpoint: ep.Endpoint, media_id: str, stream: BinaryIO) -> Operation[int]:
    """Write the file behind ``media_id`` to an open binary ``stream``; the bytes written."""
    sink = _StreamSink(stream)
    yield from _fetch(endpoint, media_id, lambda: cast(BinaryIO, sink))
    stream.flush()
    return sink.written


def _fetch(
    endpoint: ep.Endpoint, media_id: str, open_file: Callable[[], BinaryIO]
) -> Operation[FileReply]:
    reply: Reply = yield Perform(fetch_file(endpoint, media_id, open_file))
    if isinstance(reply, JsonReply):
        link = reply.data.get(_VIDEO_LINK[endpoint])
        if not isinstance(link, str) or not link:
            news = NewsMaterial.model_validate(reply.data) if "news_item" in reply.data else None
            what = "a news material (articles)" if news is not None else "not a file"
            raise NotAFileError(
                f"{media_id} is {what}; read it with get_material() instead of downloading it",
                media_id=media_id,
                news=news,
            )
        reply = yield Perform(video_file(link, open_file))
    if not isinstance(reply, FileReply):  # pragma: no cover - video_file only answers files
        raise UnexpectedReplyError(f"{media_id}: no file in the reply")
    return reply


class _StreamSink:
    """What a reply body is written to when it goes to a stream (stdout, a socket...).

    A stream cannot be rewound: an attempt that starts over after bytes went
    out (a retry) is an error rather than a file with a repeated start.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.written = 0

    def write(self, chunk: bytes) -> int:
        self._stream.write(chunk)
        self.written += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        self._stream.flush()

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # the end of a body: nothing reads it back

    def truncate(self, size: int | None = None) -> int:
        if self.written:
            raise TransportError(
                f"the download broke off after {self.written} bytes were written out; "
                "a stream cannot be rewound to try again"
            )
        return 0

    def read(self, size: int = -1) -> bytes:
        return b""


# Waiting for a publish to finish: poll freepublish/get, bounded.
def wait_for_publish(publish_id: str, interval: float, max_wait: float) -> Operation[PublishResult]:
    """Poll until the publish is no longer in progress, at most ``max_wait`` seconds of waiting."""
    if interval <= 0 or max_wait < 0:
        raise ValidationError(
            f"interval must be positive and max_wait not negative, not {interval!r}, {max_wait!r}"
        )
    publish_get(publish_id)  # checks the id before the first request
    waits = math.ceil(max_wait / interval)
    for waited in range(waits + 1):
        result: PublishResult = yield Perform(publish_get(publish_id))
        if result.done:
            return result
        if waited < waits:
            yield Sleep(interval)
    raise PublishTimeoutError(
        f"publish {publish_id} was still in progress after {max_wait:g} s; "
        "call wait() again or check it later with get()",
        result,
    )
