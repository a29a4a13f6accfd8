"""An HTTP/1.1 server that does nothing but wait: every request gets 3 KB after the latency.

``python bench/wait_server.py PORT LATENCY_MS``. The backup bench runs plain
httpx against it to show how close to the round-trip limit a client can come
on this machine when the server costs nothing: the ceiling for the sandbox
runs. ``/health`` answers at once. Keep-alive, one request at a time per
connection, ``Content-Length`` bodies only: what httpx sends.
"""

from __future__ import annotations

import asyncio
import sys

BODY = bytes(3000)
REPLY = b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: %d\r\n\r\n%b" % (
    len(BODY),
    BODY,
)
HEALTHY = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


class Waiting(asyncio.Protocol):
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.pending = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.pending += data
        while b"\r\n\r\n" in self.pending:
            head, rest = self.pending.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return  # the body is still coming
            self.pending = rest[length:]
            assert self.transport is not None
            if head.startswith(b"GET /health "):
                self.transport.write(HEALTHY)
            else:
                asyncio.get_running_loop().call_later(self.latency, self.transport.write, REPLY)


async def serve(port: int, latency: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Waiting(latency), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), float(sys.argv[2]) / 1000))
