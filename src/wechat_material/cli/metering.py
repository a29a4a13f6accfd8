"""Byte counts for progress bars, taken where httpx moves the bytes.

The SDK streams uploads and downloads itself; ``wxm`` only watches: the
transports here wrap the real one and count the bytes of multipart request
bodies (uploads) and of file replies (downloads) as they pass. Nothing about
the requests or replies changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx

Advance = Callable[[int], None]
"""Called with the size of each chunk as it is sent or received."""

OnTransfer = Callable[[int | None], Advance | None]
"""Called when a transfer starts, with its length if known; returns where to count it."""

_FILE_TYPES = ("image/", "audio/", "video/", "application/octet-stream")


def _length(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _is_file_reply(response: httpx.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith(_FILE_TYPES)


def _is_upload(request: httpx.Request) -> bool:
    return str(request.headers.get("content-type", "")).startswith("multipart/form-data")


class _CountedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, advance: Advance) -> None:
        self._inner = inner
        self._advance = advance

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._advance(len(chunk))
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _CountedAsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, advance: Advance) -> None:
        self._inner = inner
        self._advance = advance

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._advance(len(chunk))
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class MeteredTransport(httpx.BaseTransport):
    """A sync transport that reports download bytes to ``on_download``."""

    def __init__(self, inner: httpx.BaseTransport, on_download: OnTransfer) -> None:
        self._inner = inner
        self._on_download = on_download

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if _is_file_reply(response) and isinstance(response.stream, httpx.SyncByteStream):
            advance = self._on_download(_length(response.headers))
            if advance is not None:
                response.stream = _CountedStream(response.stream, advance)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncMeteredTransport(httpx.AsyncBaseTransport):
    """An async transport that reports upload bytes to ``on_upload``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, on_upload: OnTransfer) -> None:
        self._inner = inner
        self._on_upload = on_upload

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _is_upload(request) and isinstance(request.stream, httpx.AsyncByteStream):
            advance = self._on_upload(_length(request.headers))
            if advance is not None:
                request.stream = _CountedAsyncStream(request.stream, advance)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
