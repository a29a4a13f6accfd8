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

Proxies follow httpx's rules (:func:`proxy_routes`): an explicit ``proxy``
carries every request; without one, ``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY`` and ``NO_PROXY`` decide per origin, as they do for an
``httpx.Client`` (an httpx client given a transport of its own does not read
them itself, so this one does).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Callable

import httpx
from httpx._utils import URLPattern, get_environment_proxies

ProxyRoutes = list[tuple[URLPattern, str | None]]

# httpx's own defaults (``httpx.Limits()``), kept so that nothing else changes.
MAX_CONNECTIONS = 100
MAX_KEEPALIVE = 20
KEEPALIVE_EXPIRY = 5.0


def proxy_routes(proxy: str | None, *, trust_env: bool = True) -> ProxyRoutes:
    """Which proxy each URL goes through (None: straight), most specific pattern first.

    ``proxy`` given: every URL goes through it. Otherwise, with ``trust_env``,
    the environment's ``*_PROXY`` and ``NO_PROXY`` variables, read the way
    httpx reads them for its own clients (its helpers, so both always agree).
    """
    if proxy is not None:
        mounts: dict[str, str | None] = {"all://": proxy}
    elif trust_env:
        mounts = get_environment_proxies()
    else:
        mounts = {}
    return sorted(((URLPattern(key), value) for key, value in mounts.items()), key=_priority)


def _priority(route: tuple[URLPattern, str | None]) -> tuple[int, int, int]:
    return route[0].priority


def proxy_for(routes: ProxyRoutes, url: httpx.URL) -> str | None:
    """The proxy URL for ``url`` from :func:`proxy_routes`, None for a direct connection."""
    for pattern, proxy in routes:
        if pattern.matches(url):
            return proxy
    return None


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
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be 1 or more, not {max_connections}")
        self._max_connections = max_connections
        self._max_keepalive = max_keepalive
        self._keepalive_expiry = keepalive_expiry
        self._clock = clock
        self._ssl: ssl.SSLContext | None = None
        self._no_tls: ssl.SSLContext | None = None
        self._lanes: dict[tuple[bytes, bytes, int | None], list[_Lane]] = {}
        # Read once, like an httpx client reads the environment when it is made.
        self._routes = proxy_routes(proxy, trust_env=trust_env)
        self.connections = 0
        """How many lanes (each holding at most one connection) are open."""

    def _tls(self, url: httpx.URL, proxy: str | None) -> ssl.SSLContext:
        """The TLS context of a lane to ``url`` through ``proxy``, made once per kind."""
        if url.scheme == "http" and (proxy is None or httpx.URL(proxy).scheme != "https"):
            # Nothing on this lane speaks TLS (a lane serves one origin): a context that
            # trusts no certificate at all, so that any handshake would fail, rather
            # than loading the CA bundle for nothing.
            if self._no_tls is None:
                self._no_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            return self._no_tls
        if self._ssl is None:
            # Loading the CA bundle takes tens of milliseconds: once, and only when needed.
            self._ssl = httpx.create_ssl_context()
        return self._ssl

    def _new_lane(self, lanes: list[_Lane], url: httpx.URL, now: float) -> _Lane:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        # One origin always takes the same route, so its lanes share their proxy.
        proxy = proxy_for(self._routes, url)
        transport = httpx.AsyncHTTPTransport(
            verify=self._tls(url, proxy), limits=limits, proxy=proxy
        )
        lane = _Lane(transport, now)
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
            lane = self._new_lane(lanes, url, now)
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
