"""The async HTTP transport of the clients the SDK makes itself: one connection per lane.

httpcore's connection pool re-examines every connection it holds each time a
request arrives or a response ends, and asks each idle one whether its socket
became readable. With sixteen downloads in flight that bookkeeping costs more
than the HTTP itself (about a third of the client's time in
``bench/bench_backup.py``). :class:`LaneTransport` keeps httpx's own transport,
with all its behaviour (TLS, timeouts, errors), but gives each of its *lanes*
a single connection, so a lane's pool only ever looks at one. A request goes
to the least busy lane of its origin; a new lane opens while every lane is
busy and fewer than ``max_connections`` exist; lanes idle longer than
``keepalive_expiry`` beyond the first ``max_keepalive`` are closed.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Callable

import httpx

# httpx's own defaults (``httpx.Limits()``), kept so that nothing else changes.
MAX_CONNECTIONS = 100
MAX_KEEPALIVE = 20
KEEPALIVE_EXPIRY = 5.0


class _Lane:
    __slots__ = ("busy", "last_used", "transport")

    def __init__(self, transport: httpx.AsyncHTTPTransport, now: float) -> None:
        self.transport = transport
        self.busy = 0
        self.last_used = now


class _Releasing(httpx.AsyncByteStream):
    """A response body that frees its lane once it is closed (only once)."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class LaneTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncHTTPTransport`` per connection, chosen by how busy each is."""

    def __init__(
        self,
        *,
        max_connections: int = MAX_CONNECTIONS,
        max_keepalive: int = MAX_KEEPALIVE,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be 1 or more, not {max_connections}")
        self._max_connections = max_connections
        self._max_keepalive = max_keepalive
        self._keepalive_expiry = keepalive_expiry
        self._clock = clock
        self._ssl: ssl.SSLContext | None = None
        self._lanes: dict[tuple[bytes, bytes, int | None], list[_Lane]] = {}
        self.connections = 0
        """How many lanes (each holding at most one connection) are open."""

    def _new_lane(self, lanes: list[_Lane], now: float) -> _Lane:
        if self._ssl is None:
            # Loading the CA bundle takes tens of milliseconds: once, and only when needed.
            self._ssl = httpx.create_ssl_context()
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        lane = _Lane(httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits), now)
        lanes.append(lane)
        self.connections += 1
        return lane

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        lanes = self._lanes.setdefault(origin, [])
        now = self._clock()
        lane = min(lanes, key=_busyness, default=None)
        if lane is None or (lane.busy and self.connections < self._max_connections):
            lane = self._new_lane(lanes, now)
        elif self.connections > self._max_keepalive:
            await self._close_idle(lanes, now, keep=lane)
        lane.busy += 1
        lane.last_used = now

        def release() -> None:
            lane.busy -= 1
            lane.last_used = self._clock()

        try:
            response = await lane.transport.handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Releasing(response.stream, release)
        return response

    async def _close_idle(self, lanes: list[_Lane], now: float, keep: _Lane) -> None:
        stale = [
            lane
            for lane in lanes
            if lane is not keep and not lane.busy and now - lane.last_used > self._keepalive_expiry
        ]
        for lane in stale:
            lanes.remove(lane)
            self.connections -= 1
            await lane.transport.aclose()

    async def aclose(self) -> None:
        lanes = [lane for group in self._lanes.values() for lane in group]
        self._lanes.clear()
        self.connections = 0
        for lane in lanes:
            await lane.transport.aclose()


def _busyness(lane: _Lane) -> int:
    return lane.busy
