"""How long and how many connections the sandbox's server keeps: uvicorn's settings.

uvicorn closes an idle kept-alive connection after ``timeout_keep_alive``, but
has no limit on how long a request's headers may take: a client that sends
half a request line and waits holds its connection for ever. The protocol
made by :func:`header_timeout_protocol` closes a connection whose request
headers are not all in ``header_seconds`` after it opened, or after its
previous reply.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


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
    """A request line and headers larger than this get HTTP 400."""
    shutdown_seconds: int = 5
    """On shutdown, calls still under way after this are cancelled."""

    def __post_init__(self) -> None:
        if self.keep_alive_seconds < 1 or self.header_seconds <= 0 or self.shutdown_seconds < 0:
            raise ValueError("the server's timeouts must be positive")
        if self.max_connections < 1 or self.max_header_bytes < 1024:
            raise ValueError("max_connections must be at least 1, max_header_bytes 1024")

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments of ``uvicorn.Config``."""
        return {
            "http": header_timeout_protocol(self.header_seconds),
            "timeout_keep_alive": self.keep_alive_seconds,
            "limit_concurrency": self.max_connections,
            "h11_max_incomplete_event_size": self.max_header_bytes,
            "timeout_graceful_shutdown": self.shutdown_seconds,
        }


def header_timeout_protocol(seconds: float) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol, closing connections whose headers do not come in time."""

    class HeaderTimeoutProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_headers()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def _await_headers(self) -> None:
            self._stop_waiting()
            if not self.transport.is_closing():
                self._header_timer = self.loop.call_later(seconds, self._headers_overdue)

        def _stop_waiting(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_overdue(self) -> None:
            self._header_timer = None
            # IDLE: no complete request line and headers since the connection became ready.
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
