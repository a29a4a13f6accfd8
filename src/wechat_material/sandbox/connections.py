"""How long and how many connections the sandbox's server keeps: uvicorn's settings.

uvicorn closes an idle kept-alive connection after ``timeout_keep_alive`` and
caps the connections of the whole server (``limit_concurrency``), but it has
no deadline for a request's headers or body, no cap per client, and its
header size limit (h11's) only applies to headers that arrive in pieces. The
protocols made by :func:`bounded_protocol`, one over each of uvicorn's
HTTP/1.1 parsers (the compiled ``httptools`` one when it is installed, the
pure-Python ``h11`` one otherwise), add them:

- a request line and headers not all in ``header_seconds`` after the
  connection opened, or after its previous reply: the connection is closed;
- a body not all in ``body_seconds`` after its headers: HTTP 408, then closed
  (just closed when the app has already started its reply);
- more than ``max_connections_per_client`` connections open from one address:
  the extra ones are answered HTTP 503 and closed;
- a request line and headers over ``max_header_bytes``: HTTP 431, then the
  rest of what the client sends is read and dropped for a while, so that the
  client, still sending, gets the answer rather than a reset.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("wechat_material.sandbox")

HttpParser = Literal["auto", "h11", "httptools"]

DRAIN_IDLE_SECONDS = 2.0
"""After a 431, the connection is closed once the client has sent nothing for this long."""
DRAIN_LIMIT = 64 * 1024 * 1024
"""After a 431, at most this much more is read (and dropped) before closing."""


@dataclass(frozen=True)
class ServerLimits:
    """The server's bounds on connections (``python -m wechat_material.sandbox --help``)."""

    keep_alive_seconds: int = 5
    """An idle kept-alive connection is closed after this (uvicorn's ``timeout_keep_alive``)."""
    header_seconds: float = 10.0
    """A request's line and headers must all arrive within this."""
    max_connections: int = 200
    """Past this many connections (or calls under way) a request gets HTTP 503."""
    max_header_bytes: int = 64 * 1024
    """A request line and headers larger than this get HTTP 431."""
    shutdown_seconds: int = 5
    """On shutdown, calls still under way after this are cancelled."""
    body_seconds: float = 15.0
    """A request's body must all arrive within this of its headers, else HTTP 408."""
    max_connections_per_client: int = 64
    """Past this many connections open from one address, its new ones get HTTP 503."""
    http: HttpParser = "auto"
    """uvicorn's HTTP/1.1 parser: ``httptools`` (compiled; ``auto`` picks it when
    installed) or ``h11`` (pure Python)."""

    def __post_init__(self) -> None:
        if (
            self.keep_alive_seconds < 1
            or self.header_seconds <= 0
            or self.body_seconds <= 0
            or self.shutdown_seconds < 0
        ):
            raise ValueError("the server's timeouts must be positive")
        if self.max_connections < 1 or self.max_connections_per_client < 1:
            raise ValueError("max_connections and max_connections_per_client must be at least 1")
        if self.max_header_bytes < 1024:
            raise ValueError("max_header_bytes must be at least 1024")
        if self.http not in ("auto", "h11", "httptools"):
            raise ValueError("http is 'auto', 'h11' or 'httptools'")

    @property
    def parser(self) -> Literal["h11", "httptools"]:
        """The parser ``http`` stands for on this machine."""
        if self.http != "auto":
            return self.http
        return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments of ``uvicorn.Config``."""
        return {
            "http": bounded_protocol(self),
            "timeout_keep_alive": self.keep_alive_seconds,
            "limit_concurrency": self.max_connections,
            # X-Forwarded-For is not the sandbox's business (and would let any local
            # process pose as another address); no per-request middleware for it.
            "proxy_headers": False,
            # Headers over the limit are answered by the protocol before h11 sees them.
            "h11_max_incomplete_event_size": self.max_header_bytes + 1024,
            "timeout_graceful_shutdown": self.shutdown_seconds,
        }


def plain_reply(status: int, reason: str, text: str) -> bytes:
    """A whole HTTP/1.1 reply with a short text body, closing the connection."""
    body = text.encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _too_many(scope: Any, receive: Any, send: Any) -> None:
    """The app of a connection past its client's limit: 503, and close."""
    body = b"too many connections from your address; close some and retry"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


CORK_LIMIT = 64 * 1024
"""Writes are held for the rest of the loop iteration up to this much, then sent at once."""


class _Corked:
    """A transport whose writes in one turn of the event loop leave as one ``send``.

    uvicorn writes a reply's head and its body separately: two system calls, and
    on loopback two wake-ups of the client, for every small reply. Held until the
    loop's next turn (or until :data:`CORK_LIMIT` is held, or the transport is
    closed), they go out together. Everything but writing is the transport's own.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._size = 0
        self._ended = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._ended:
            return  # after a refusal's answer: what the app still sends goes nowhere
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))
        self._size += len(data)
        if self._size >= CORK_LIMIT:
            self.flush()

    def flush(self) -> None:
        if not self._held:
            return
        data = b"".join(self._held)
        self._held.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._ended = True
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Bounds(asyncio.Protocol):
    """What both protocols add to uvicorn's; the parser-specific parts are in subclasses.

    Class attributes set by :func:`bounded_protocol`: ``limits``, and ``clients``,
    the count of open connections per client address, shared by one server's
    connections.
    """

    limits: ServerLimits
    clients: Counter[str]

    # uvicorn's, declared for the type checker.
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    client: tuple[str, int] | None
    app: Any
    cycle: Any
    flow: Any
    _unset_keepalive_if_required: Callable[[], None]

    _header_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None
    _drain_timer: asyncio.TimerHandle | None = None
    _header_deadline = 0.0
    _body_held = False  # the server had stopped reading when the body clock last ran out
    _address: str | None = None
    _header_bytes = 0
    _tail = b""
    _drained = -1  # -1: not draining; else bytes dropped since the 431

    # The parser's view: is the connection reading a request's headers, its body?
    def _reading_headers(self) -> bool:
        raise NotImplementedError

    def _reading_body(self) -> bool:
        raise NotImplementedError

    # The protocol's events.
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        super().connection_made(transport)
        # uvicorn's flow control keeps the real transport; everything else writes corked.
        self.transport = cast(asyncio.Transport, _Corked(transport, self.loop))
        address = self.client[0] if self.client else ""
        self._address = address
        self.clients[address] += 1
        if self.clients[address] > self.limits.max_connections_per_client:
            log.warning(
                "more than %d connections from %s: answered 503",
                self.limits.max_connections_per_client,
                address,
            )
            self.app = _too_many
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._header_timer, self._body_timer, self._drain_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = self._drain_timer = None
        if self._address is not None:
            self.clients[self._address] -= 1
            if self.clients[self._address] <= 0:
                del self.clients[self._address]
            self._address = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._drained >= 0:
            self._drop(data)
            return
        if self._reading_headers() and self._headers_too_large(data):
            self._refuse_headers()
            return
        super().data_received(data)
        self._after_parse()

    def eof_received(self) -> None:
        # Draining after a 431, the client is done sending: returning closes the connection.
        if self._drained < 0:
            super().eof_received()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._await_headers()
        self._after_parse()

    # Headers: a deadline and a size. The deadline moves with every request on a
    # kept-alive connection; its one timer is not replaced each time (a timer made and
    # cancelled per request), it finds the deadline moved when it fires and waits on.
    def _await_headers(self) -> None:
        if self.transport.is_closing():
            return
        self._header_deadline = self.loop.time() + self.limits.header_seconds
        if self._header_timer is None:
            self._header_timer = self.loop.call_at(self._header_deadline, self._headers_overdue)

    def _headers_overdue(self) -> None:
        self._header_timer = None
        if self.loop.time() < self._header_deadline:
            if not self.transport.is_closing():
                self._header_timer = self.loop.call_at(self._header_deadline, self._headers_overdue)
            return
        waiting = self.cycle is None or self.cycle.response_complete
        if self._reading_headers() and waiting and not self.transport.is_closing():
            self.transport.close()

    def _headers_too_large(self, data: bytes) -> bool:
        limit = self.limits.max_header_bytes
        seen = self._header_bytes
        self._header_bytes += len(data)
        if self._header_bytes <= limit:
            self._tail = data[-3:]
            return False
        # Over the limit only if the headers do not end within it.
        end = (self._tail + data).find(b"\r\n\r\n")
        return end < 0 or seen - len(self._tail) + end + 4 > limit

    def _headers_arrived(self) -> None:
        """A request's headers are all in: the next request's are counted afresh."""
        self._header_bytes = 0
        self._tail = b""

    def _refuse_headers(self) -> None:
        kb = self.limits.max_header_bytes // 1024
        text = f"request line and headers over {kb} KB; send smaller headers\n"
        self._answer_and_drain(plain_reply(431, "Request Header Fields Too Large", text))

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request its parser refuses, without the reset that
        closing at once gives a client still sending."""
        self._answer_and_drain(plain_reply(400, "Bad Request", f"{msg}\n"))

    def _answer_and_drain(self, reply: bytes) -> None:
        self._unset_keepalive_if_required()
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None
        cycle = self.cycle  # the previous request's, on a kept-alive connection
        if cycle is not None and cycle.response_started and not cycle.response_complete:
            self.transport.close()  # an answer is under way: no second one inside it
            return
        self.transport.write(reply)
        # Closing now, with the client still sending, would reset the connection and
        # lose the answer: say nothing more, read and drop the rest for a while.
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._drained = 0
        self._drain_timer = self.loop.call_later(DRAIN_IDLE_SECONDS, self.transport.close)

    def _drop(self, data: bytes) -> None:
        self._drained += len(data)
        if self._drain_timer is not None:
            self._drain_timer.cancel()
            self._drain_timer = None
        if self._drained > DRAIN_LIMIT:
            self.transport.close()
        else:
            self._drain_timer = self.loop.call_later(DRAIN_IDLE_SECONDS, self.transport.close)

    # Bodies: a deadline.
    def _after_parse(self) -> None:
        if self.transport.is_closing() or self._drained >= 0:
            return
        if self._reading_body():
            if self._body_timer is None:
                self._body_held = False
                self._body_timer = self.loop.call_later(
                    self.limits.body_seconds, self._body_overdue
                )
        elif self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_overdue(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or not self._reading_body():
            return
        held, self._body_held = self._body_held, self.flow.read_paused
        if held or self._body_held:
            # The server stopped reading: the app has not taken what it holds yet (a
            # latency fault, a slow handler). The wait is not the client's: not yet,
            # and once reading resumes the client gets a whole window for the rest.
            self._body_timer = self.loop.call_later(self.limits.body_seconds, self._body_overdue)
            return
        if self.cycle is not None and not self.cycle.response_started:
            seconds = f"{self.limits.body_seconds:g}"
            text = f"the request body did not arrive within {seconds} s; send it at once\n"
            self.transport.write(plain_reply(408, "Request Timeout", text))
        self.transport.close()


def _h11_protocol(limits: ServerLimits, clients: Counter[str]) -> type[asyncio.Protocol]:
    class BoundedH11(_Bounds, H11Protocol):
        def _reading_headers(self) -> bool:
            return self.conn.their_state is h11.IDLE

        def _reading_body(self) -> bool:
            return self.conn.their_state is h11.SEND_BODY

        def _after_parse(self) -> None:
            if self.conn.their_state is not h11.IDLE:
                self._headers_arrived()
            super()._after_parse()

    BoundedH11.limits = limits
    BoundedH11.clients = clients
    return BoundedH11


def _httptools_protocol(limits: ServerLimits, clients: Counter[str]) -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class BoundedHttpTools(_Bounds, HttpToolsProtocol):
        _in_body = False

        def _reading_headers(self) -> bool:
            return not self._in_body

        def _reading_body(self) -> bool:
            return self._in_body

        def on_headers_complete(self) -> None:
            self._in_body = True
            self._headers_arrived()
            HttpToolsProtocol.on_headers_complete(self)

        def on_message_complete(self) -> None:
            self._in_body = False
            HttpToolsProtocol.on_message_complete(self)

    BoundedHttpTools.limits = limits
    BoundedHttpTools.clients = clients
    return BoundedHttpTools


def bounded_protocol(limits: ServerLimits) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol (``limits.parser``'s) with the bounds above.

    Each call makes a new class, whose connections share one count per client.
    """
    clients: Counter[str] = Counter()
    if limits.parser == "httptools":
        return _httptools_protocol(limits, clients)
    return _h11_protocol(limits, clients)
