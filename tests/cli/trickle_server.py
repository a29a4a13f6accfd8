"""A stand-in for WeChat whose file replies stall midway, to interrupt a download mid-stream.

It answers both token endpoints, and ``material/get_material`` with a file:
the headers and the first ``sent`` bytes of ``size`` promised, then nothing
more until :meth:`TrickleServer.release` (or its own exit) ends the connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "stand-in-token-" + "x" * 48
# The start of a JPEG, so the client takes the reply for a file from its first byte.
JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


class TrickleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sent: int, size: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sent = sent
        self.size = size
        self.released = threading.Event()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def release(self) -> None:
        """Let every stalled reply end (cut short)."""
        self.released.set()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TrickleServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the test reads the client's output, not the server's

    def _read_body(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json(self, data: dict[str, object]) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/cgi-bin/token"):
            self._json({"access_token": TOKEN, "expires_in": 7200})
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        self._read_body()
        if self.path.startswith("/cgi-bin/stable_token"):
            self._json({"access_token": TOKEN, "expires_in": 7200})
        elif self.path.startswith("/cgi-bin/material/get_material"):
            self._stalled_file()
        else:
            self.send_error(404)

    def _stalled_file(self) -> None:
        server = self.server
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Disposition", 'attachment; filename="photo.jpg"')
        self.send_header("Content-Length", str(server.size))
        self.end_headers()
        self.wfile.write(JPEG_START + b"\x00" * (server.sent - len(JPEG_START)))
        self.wfile.flush()
        server.released.wait(60)
        self.close_connection = True


@contextmanager
def trickle_server(sent: int, size: int) -> Iterator[TrickleServer]:
    """A :class:`TrickleServer` on a free local port, for the ``with`` block."""
    server = TrickleServer(sent, size)
    thread = threading.Thread(target=server.serve_forever, name="trickle-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release()
        server.shutdown()
        server.server_close()
        thread.join(10)
